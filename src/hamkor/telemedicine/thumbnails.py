"""Thumbnails of a case's images and DICOM files, made by a job after the upload.

A DICOM file is read a frame at a time (``pydicom.pixels.iter_pixels``): only its first frame
is decoded, whatever the number of frames, so a long cine loop never sits in memory whole.
The frame is scaled to 8 bits between its own darkest and brightest values (a window good
enough to recognise the image, not to read it) and shrunk to ``SIZE`` pixels at most. The job
is idempotent: a file that has its thumbnail already is left alone.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from hamkor.core import files, filetypes, jobs
from hamkor.core.access import Actor
from hamkor.core.i18n import N_
from hamkor.core.storage import Storage, storage_for
from hamkor.settings import get_settings
from hamkor.telemedicine.models import CaseFile, FileKind

if TYPE_CHECKING:
    from PIL.Image import Image

THUMBNAIL_JOB = "telemedicine.thumbnail"
THUMBNAIL_LABEL = N_("Thumbnail of a teleconsultation image")
#: The name a file's thumbnail is attached under.
THUMBNAIL_NAME = "thumbnail.png"
SIZE = 256


def _first_frame(handle: Any) -> Image:
    # Imported here: the workers' registry imports this module, and ``hamkor --help`` must
    # not wait for numpy, Pillow and pydicom.
    import numpy as np
    from PIL import Image
    from pydicom.pixels.utils import iter_pixels

    frame = next(iter_pixels(handle, indices=[0]))
    if frame.ndim == 3 and frame.shape[-1] in (3, 4):
        return Image.fromarray(frame.astype(np.uint8))
    low, high = float(frame.min()), float(frame.max())
    scaled = (frame.astype(np.float32) - low) * (255.0 / (high - low or 1.0))
    return Image.fromarray(scaled.astype(np.uint8))


def make_thumbnail(db: Session, store: Storage, row: CaseFile) -> bool:
    """Make and attach the row's thumbnail, in the name of whoever uploaded the file; False
    when it has one already (or its uploader's account is gone)."""
    attached = files.list_(db=db, owner=row)
    if any(a.name == THUMBNAIL_NAME for a in attached) or not attached:
        return False
    if row.uploaded_by_id is None:
        return False
    uploader = Actor(user_id=row.uploaded_by_id, username="")
    from PIL import Image

    with files.open_(store=store, stored=attached[0].stored) as handle:
        if row.kind == FileKind.DICOM:
            image = _first_frame(handle)
        else:
            image = Image.open(handle)
            image.load()
    image.thumbnail((SIZE, SIZE))
    output = io.BytesIO()
    image.convert("RGB" if image.mode not in ("L", "RGB") else image.mode).save(output, "PNG")
    output.seek(0)
    stored = files.put(
        db=db,
        store=store,
        actor=uploader,
        source=output,
        allowed=frozenset({filetypes.PNG}),
        max_bytes=output.getbuffer().nbytes + 1,
        filename=THUMBNAIL_NAME,
    )
    files.attach(db=db, actor=uploader, owner=row, stored=stored, name=THUMBNAIL_NAME)
    return True


def thumbnail_job(context: jobs.JobContext) -> dict[str, Any]:
    """Make one file's thumbnail, in one transaction."""
    store = storage_for(get_settings())
    with context.sessions.begin() as db:
        row = db.get(CaseFile, int(context.payload["case_file_id"]))
        made = row is not None and make_thumbnail(db, store, row)
    return {"made": made}
