"""The demo: "Days of Kazakh Medicine in Uzbekistan, 13–17 October 2025", at the reports' scale."""
