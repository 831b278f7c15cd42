"""Reading QR codes back in tests: QR only, never the other symbologies zxing knows.

zxing-cpp reads every format it knows by default. On a rendered poster page it once read the
digits of the printed text as a one-dimensional barcode ('9214') beside the QR code, and the
poster test failed on a page that was right. Every test decodes through `decode_qr`, which asks
for QR codes alone; `tests/test_qr_rule.py` keeps it so.
"""

from __future__ import annotations

import zxingcpp
from PIL import Image


def decode_qr(image: Image.Image) -> list[str]:
    """The texts of the QR codes in the image, in the order zxing finds them."""
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
