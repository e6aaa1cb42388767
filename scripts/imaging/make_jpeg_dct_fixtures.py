"""Regenerates tests/fixtures/imaging/jpeg-dct: small 8-bit JPEGs written by libjpeg-turbo through
OpenCV (restarts) and Pillow (4:4:4, which OpenCV 4.6 cannot ask for), Debian packages, with the features no shared DICOM file has: restart intervals, progressive
coding with restarts, odd sizes that end in partial MCUs, 4:4:4 and 4:2:0 colour. The test decodes
each with our T.81 decoder and with the libjpeg-turbo WASM codec and compares."""
import os
import sys

import cv2
import numpy as np
from PIL import Image

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'imaging', 'jpeg-dct')
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
h, w = 37, 61
yy, xx = np.mgrid[0:h, 0:w]
grey = (96 + 80 * np.sin(xx / 5.0) * np.cos(yy / 7.0) + rng.normal(0, 12, (h, w))).clip(0, 255).astype(np.uint8)
colour = np.stack([grey, np.roll(grey, 9, axis=1)[:, ::-1], (255 - grey)], axis=2)

cases = {
    'grey_rst1.jpg': (grey, [cv2.IMWRITE_JPEG_QUALITY, 80, cv2.IMWRITE_JPEG_RST_INTERVAL, 1]),
    'grey_progressive_rst2.jpg': (grey, [cv2.IMWRITE_JPEG_QUALITY, 90, cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_RST_INTERVAL, 2]),
    'colour420_rst2.jpg': (colour, [cv2.IMWRITE_JPEG_QUALITY, 75, cv2.IMWRITE_JPEG_RST_INTERVAL, 2]),
    'colour420_progressive_rst3.jpg': (colour, [cv2.IMWRITE_JPEG_QUALITY, 85, cv2.IMWRITE_JPEG_PROGRESSIVE, 1, cv2.IMWRITE_JPEG_RST_INTERVAL, 3]),
}
for name, (image, params) in cases.items():
    ok, data = cv2.imencode('.jpg', image, params)
    if not ok:
        sys.exit(f'OpenCV could not encode {name}')
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data.tobytes())
    print(name, len(data))

# 4:4:4 progressive colour (no restarts: Pillow 9.4 cannot write them).
Image.fromarray(colour).save(os.path.join(out, 'colour444_progressive.jpg'), quality=85, subsampling=0, progressive=True)
print('colour444_progressive.jpg', os.path.getsize(os.path.join(out, 'colour444_progressive.jpg')))
