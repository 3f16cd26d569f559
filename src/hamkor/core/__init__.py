"""The platform core: settings, database, users, access, audit, i18n."""
