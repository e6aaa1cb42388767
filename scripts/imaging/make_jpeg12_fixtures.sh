#!/bin/sh
# Regenerates tests/fixtures/imaging/jpeg12: small 12-bit lossy JPEG DICOM files made by DCMTK's
# dcmcjpeg (Debian package dcmtk 3.6.7, IJG 12-bit library) and, beside each, DCMTK's own
# dcmdjpeg decoding of it, the independent oracle our T.81 decoder is checked against.
# Needs ../shared/data/dicom for the sources and `apt-get install dcmtk`.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
src="$here/../shared/data/dicom"
out="$here/tests/fixtures/imaging/jpeg12"
mkdir -p "$out"
# Extended sequential, spectral selection and full progression of a 64×64 signed 16-bit MR.
for mode in ee es ep; do
  dcmcjpeg "+$mode" +q 85 "$src/pydicom-test-files/MR_small.dcm" "$out/mr_$mode.dcm"
  dcmdjpeg "$out/mr_$mode.dcm" "$out/mr_${mode}_dcmtk.dcm"
done
# 12-bit YCbCr colour (4:4:4), decoded without colour conversion to compare the coded samples.
dcmcjpeg +ee +bt +s4 "$src/pydicom-data/SC_rgb_16bit.dcm" "$out/rgb_ee.dcm"
dcmdjpeg +cn "$out/rgb_ee.dcm" "$out/rgb_ee_dcmtk.dcm"
