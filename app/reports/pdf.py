"""The final report as PDF: the report page printed by headless Chromium.

Chromium prints exactly what the console shows with the page's own A4 print styles
(SVG charts included), and the tests already use it; WeasyPrint would be pure Python
but needs Pango and friends as system libraries and renders SVG less faithfully. The
page is written to a private temporary folder and printed with the network unreachable
and a Content-Security-Policy that allows no script (the page has none), so printing
can fetch nothing and run nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from app.config import get_settings
from app.errors import N_, DomainError

TIMEOUT = 120  # seconds; a study of 100 statements prints in a few


class PdfUnavailable(DomainError):
    status = 503


def render(html: str) -> bytes:
    """Print ``html`` (a self-contained page: styles inline, no external resources)."""
    binary = shutil.which(get_settings().chromium)
    if binary is None:
        raise PdfUnavailable(
            N_(
                "the PDF needs Chromium, and %(binary)s is not installed; set DELPHI_CHROMIUM "
                "to its path, or print the report page from a browser"
            ),
            binary=repr(get_settings().chromium),
        )
    with tempfile.TemporaryDirectory(prefix="delphi-report-") as folder:
        page, out = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [
            binary,
            "--headless",
            "--disable-gpu",
            "--no-first-run",
            "--no-pdf-header-footer",
            "--proxy-server=127.0.0.1:9",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={out}",
            page.as_uri(),
        ]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses to sandbox as root
        try:
            subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise PdfUnavailable(N_("printing the report to PDF took too long")) from None
        if not out.exists() or out.stat().st_size == 0:
            raise PdfUnavailable(N_("Chromium could not print the report to PDF"))
        return out.read_bytes()
