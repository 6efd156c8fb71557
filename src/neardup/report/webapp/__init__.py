"""``neardup review``: a local web app to decide group by group, then delete through the journal.

The app serves one scan result on ``127.0.0.1`` (a random port) to one person:

* :mod:`~neardup.report.webapp.session`: the groups as the app sees them (indexed once at
  start-up, no file opened), server-side paging, sorting and filtering, and the decisions
  (keeper swaps, files marked for deletion, "not duplicates"), saved in the catalog as
  they are made so a later review resumes;
* :mod:`~neardup.report.webapp.runs`: Apply (a :class:`~neardup.actions.Plan` of exactly
  the marked files, run through :func:`~neardup.actions.apply_plan`: verified again and
  journaled) and "Undo this run";
* :mod:`~neardup.report.webapp.images`: what is shown of one file, found by id only:
  header facts (format, JPEG quality, EXIF date and camera), thumbnails from the cache
  (:class:`~neardup.report.thumbs.ThumbnailCache`), the full image, the difference image;
* :mod:`~neardup.report.webapp.server`: the per-run token and the Host/Origin checks,
  the routes (Starlette), serving on loopback (uvicorn).

Templates (``report/templates/review``) and the script, style and icon
(``report/static``) ship inside the package: the page works offline and loads nothing
from any other origin. Names are imported on first use (Starlette and uvicorn are the
optional ``review`` extra).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from neardup import lazy_attributes

_EXPORTS = {
    "GroupState": "neardup.report.webapp.session",
    "ReviewSession": "neardup.report.webapp.session",
    "bind": "neardup.report.webapp.server",
    "build_app": "neardup.report.webapp.server",
    "serve": "neardup.report.webapp.server",
}
__getattr__, __dir__ = lazy_attributes(__name__, _EXPORTS)

if TYPE_CHECKING:
    from neardup.report.webapp.server import bind, build_app, serve
    from neardup.report.webapp.session import GroupState, ReviewSession

__all__ = ["GroupState", "ReviewSession", "bind", "build_app", "serve"]
