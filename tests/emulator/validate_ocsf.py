"""Validate findings.ocsf.jsonl with a third-party OCSF implementation (py-ocsf-models).

    python validate_ocsf.py FILE

Every line must parse as py_ocsf_models' ComplianceFinding (class 2003); prints the count, or the
first line that does not validate and why, with a non-zero exit.
"""

import json
import sys

from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding


def main() -> int:
    path = sys.argv[1]
    count = 0
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            try:
                finding = ComplianceFinding.model_validate(record)
            except Exception as error:  # pydantic's ValidationError, with every field that failed
                print(f"{path}:{number}: {error}")
                return 1
            if finding.class_uid != 2003 or int(finding.type_uid) != 200301:
                print(f"{path}:{number}: class {finding.class_uid}, type {finding.type_uid}")
                return 1
            count += 1
    print(f"{count} OCSF compliance findings valid")
    return 0 if count else 1


if __name__ == "__main__":
    sys.exit(main())
