"""Validate ASFF files against botocore's own model of securityhub:BatchImportFindings.

    python validate_asff.py FILE [FILE ...]

Each file must be a JSON array that botocore's parameter validator accepts as the `Findings` of
one BatchImportFindings call (1 to 100 findings, every required field, every type). Prints the
count, or the first file that fails and why, with a non-zero exit.
"""

import json
import sys

import botocore.session
from botocore.validate import ParamValidator


def main() -> int:
    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    total = 0
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as file:
            findings = json.load(file)
        report = ParamValidator().validate({"Findings": findings}, shape)
        if report.has_errors():
            print(f"{path}: {report.generate_report()}")
            return 1
        total += len(findings)
    print(f"{total} ASFF findings valid in {len(sys.argv) - 1} files")
    return 0 if total else 1


if __name__ == "__main__":
    sys.exit(main())
