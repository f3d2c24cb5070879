"""The commands examples/aws-batch/orgtrail-batch.yaml runs, resolved as AWS would resolve them.

    python batch_commands.py TEMPLATE '{"shards": 3, "run": "2026-12-01T03:00:00Z"}' ROLE_NAME

Reads the template with cfn-lint's own decoder, runs the state machine's Prepare state (its
States.Format calls) on the input, and for each Batch task (Scan, Merge, Archive) fills the job
definition's Command with the task's parameters (Batch replaces a whole `Ref::name` argument).
Prints {"Scan": {"command": [...], "array_size": N}, "Merge": {...}, "Archive": {...}}.
"""

import json
import re
import sys

from cfnlint.decode import decode


def states_format(expression: str, data: dict) -> str:
    """States.Format('literal with {}', $.path, ...): the literal's escapes are \\{ \\} \\' \\\\."""
    match = re.fullmatch(r"States\.Format\('((?:[^'\\]|\\.)*)'((?:\s*,\s*\$\.\w+)*)\)", expression)
    if not match:
        raise SystemExit(f"unsupported intrinsic: {expression}")
    literal, arguments = match.groups()
    values = [data[name] for name in re.findall(r"\$\.(\w+)", arguments)]
    out, i = [], 0
    while i < len(literal):
        if literal[i] == "\\":
            out.append(literal[i + 1])
            i += 2
        elif literal.startswith("{}", i):
            out.append(str(values.pop(0)))
            i += 2
        else:
            out.append(literal[i])
            i += 1
    return "".join(out)


def resolve(parameters: dict, data: dict, substitutions: dict) -> dict:
    resolved = {}
    for key, value in parameters.items():
        if key.endswith(".$"):
            key = key[:-2]
            for name, replacement in substitutions.items():
                value = value.replace("${" + name + "}", replacement)
            if value.startswith("$."):
                value = data[value[2:]]
            else:
                value = states_format(value, data)
        elif isinstance(value, dict):
            value = resolve(value, data, substitutions)
        elif isinstance(value, str):
            for name, replacement in substitutions.items():
                value = value.replace("${" + name + "}", replacement)
        resolved[key] = value
    return resolved


def main() -> int:
    template, problems = decode(sys.argv[1])
    if problems:
        raise SystemExit(f"template does not parse: {problems}")
    run_input = json.loads(sys.argv[2])
    role_name = sys.argv[3]
    resources = template["Resources"]
    machine = resources["MonthlyRun"]["Properties"]
    # Only the logical ids matter here: the bucket's name is made up.
    substitutions = {
        name: (value["Ref"] if isinstance(value, dict) and "Ref" in value else str(value))
        for name, value in machine["DefinitionSubstitutions"].items()
    }
    states = machine["Definition"]["States"]
    data = resolve(states["Prepare"]["Parameters"], run_input, substitutions)
    commands = {}
    for name in ("Scan", "Merge", "Archive"):
        task = resolve(states[name]["Parameters"], data, substitutions)
        definition = resources[task["JobDefinition"]]["Properties"]
        batch_parameters = dict(definition.get("Parameters", {}))
        batch_parameters.update(task.get("Parameters", {}))
        command = []
        for argument in definition["ContainerProperties"]["Command"]:
            if isinstance(argument, dict):
                if argument != {"Ref": "AuditRoleName"}:
                    raise SystemExit(f"unexpected argument {argument}")
                argument = role_name
            elif argument.startswith("Ref::"):
                argument = batch_parameters[argument[len("Ref::"):]]
            command.append(argument)
        commands[name] = {"command": command}
        if "ArrayProperties" in task:
            commands[name]["array_size"] = resolve(task["ArrayProperties"], data, {})["Size"]
    print(json.dumps(commands))
    return 0


if __name__ == "__main__":
    sys.exit(main())
