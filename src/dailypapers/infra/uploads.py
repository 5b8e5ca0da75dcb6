"""A bound on multipart uploads. Django bounds a request's form fields
(``DATA_UPLOAD_MAX_MEMORY_SIZE``) but not its files, which it streams to a temporary file
whatever their size; this handler refuses a body over ``DAILYPAPERS_UPLOAD_MAX_SIZE`` before a
byte of it is read, as a 413 (see ``http.bad_request``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler


class SizeLimit(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: raises RequestDataTooBig for an oversized body."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, str],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if content_length > settings.DAILYPAPERS_UPLOAD_MAX_SIZE:
            raise RequestDataTooBig("upload larger than DAILYPAPERS_UPLOAD_MAX_SIZE")

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data  # the next handlers keep the data

    def file_complete(self, file_size: int) -> None:
        return None
