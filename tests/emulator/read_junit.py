"""Read a JUnit XML report back with a third-party reader (junitparser) and print it as JSON.

    python read_junit.py FILE

Prints {"root": {tests, failures, errors, skipped}, "suites": [{name, tests, failures, errors,
skipped, cases: [{name, classname, result, message}]}], "counted": {tests, passed, failure, error,
skipped}}: the attributes as written, and what the cases themselves hold, counted.
"""

import json
import sys

from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite


def main() -> int:
    xml = JUnitXml.fromfile(sys.argv[1])
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    counted = {"tests": 0, "passed": 0, "failure": 0, "error": 0, "skipped": 0}
    out = []
    for suite in suites:
        cases = []
        for case in suite:
            kinds = {type(result): result for result in case.result}
            counted["tests"] += 1
            for kind, label in ((Failure, "failure"), (Error, "error"), (Skipped, "skipped")):
                if kind in kinds:
                    result, message = label, kinds[kind].message
                    break
            else:
                result, message = "passed", None
            counted[result] += 1
            cases.append({"name": case.name, "classname": case.classname, "result": result,
                          "message": message})
        out.append({"name": suite.name, "tests": suite.tests, "failures": suite.failures,
                    "errors": suite.errors, "skipped": suite.skipped, "cases": cases})
    root = {"tests": xml.tests, "failures": xml.failures, "errors": xml.errors, "skipped": xml.skipped}
    print(json.dumps({"root": root, "suites": out, "counted": counted}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
