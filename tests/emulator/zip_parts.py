"""Print every part of a zip file (an .xlsx workbook) as JSON: {part name: its text}.

    python zip_parts.py FILE

A workbook's XML is compressed inside the zip: searched as bytes, no text in it can ever match.
"""

import json
import sys
import zipfile


def main() -> int:
    with zipfile.ZipFile(sys.argv[1]) as archive:
        parts = {name: archive.read(name).decode("utf-8", "replace") for name in archive.namelist()}
    print(json.dumps(parts))
    return 0 if parts else 1


if __name__ == "__main__":
    sys.exit(main())
