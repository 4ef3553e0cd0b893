"""Every AWS call the code makes, as IAM sees it: recorded in-process, held against the
stage policies in ``.chalice/``.

Recording. :meth:`Recorder.install` adds one handler for botocore's ``before-parameter-build`` event
to ``botocore.handlers.BUILTIN_HANDLERS``: every botocore session made afterwards carries it
(moto hooks itself in the same way), so it sees boto3's default session, the per-thread
sessions PynamoDB makes, and every client ``chalicelib`` builds, whatever builds it. conftest
installs it before any client exists.

Attribution. A call counts when a Lambda handler of ``app.py`` is on the Python stack: the
API (``Chalice.__call__``: routes and middleware), the authorizer, a schedule or the queue
consumer, as ``chalice.test.Client`` runs them. That is the function, hence the IAM role,
that makes the call in AWS. Calls the tests make themselves (seeding tables, reading an SNS
inbox) and domain functions a test calls directly are counted but not held against a role:
no Lambda runs them. The operator CLI and scripts never run under a Lambda role either.

Mapping. Each call becomes the IAM requests AWS authorizes for it (``TransactWriteItems``:
one ``PutItem``/``UpdateItem``/``DeleteItem``/``ConditionCheckItem`` per item and table;
``Query`` on an index: the index ARN; ``DeleteMessageBatch``: ``sqs:DeleteMessage``…), on a
*target* named by role, not by the test's names: a table by its suffix after the table
prefix, a queue, topic or secret by the setting that named it, a region as this region or a
fallback region. :func:`stage_requests` then renders each target with a stage's own settings
(its ``config.json`` environment plus what its merge template sets) into concrete ARNs, with
:data:`ACCOUNT` for the account. A call whose setting is empty in a stage (a topic not
configured, no fallback region) cannot happen there and is skipped.

Evaluation. :func:`decide` applies the IAM rules that matter for these documents: an explicit
Deny wins, else an Allow whose Action and Resource patterns (``*`` and ``?``) match, else
refused. Conditions, NotAction and NotResource are refused outright rather than guessed.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

_HERE = Path(__file__).resolve()
ROOT = _HERE.parent.parent
CHALICE_DIR = ROOT / ".chalice"
#: The account in rendered ARNs (policies must not depend on it).
ACCOUNT = "123456789012"
#: A Secrets Manager ARN ends with ``-`` and six random characters.
SECRET_SUFFIX = "-AbC123"
API_HANDLER = "api_handler"

# --- what a call is ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a call touches, by role. ``kind``: table, index, queue, topic, parameter, secret,
    any (no resource-level permissions) or unknown (the mapping does not know it)."""

    kind: str
    #: table/index: the table's suffix after the prefix; queue/topic/parameter/secret: the
    #: Settings field that named it; unknown: the raw identifier.
    name: str
    index: str = ""
    #: ``home`` (this region) or ``fallback`` (another region of ``SIDENOTE_REGIONS``).
    region: str = "home"


@dataclass(frozen=True)
class Call:
    """One IAM request of one recorded call."""

    function: str
    service: str
    operation: str
    action: str
    target: Target
    #: Innermost ``chalicelib`` frame that made the call (``path:function``).
    origin: str


@dataclass
class Recorder:
    calls: Counter[Call] = field(default_factory=Counter)
    #: Calls no Lambda handler made (test setup, domain functions called directly), by origin.
    unattributed: Counter[str] = field(default_factory=Counter)
    #: Calls the hook could not map, with the reason (the test fails on any).
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self) -> None:
        """Record every AWS call of every botocore session created from now on."""
        from botocore.handlers import BUILTIN_HANDLERS

        if ("before-parameter-build", _on_call) not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.append(("before-parameter-build", _on_call))

    def snapshot(self) -> Counter[Call]:
        with self.lock:
            return Counter(self.calls)


RECORDER = Recorder()


def _on_call(params: dict, model: Any, context: dict | None = None, **_: Any) -> None:
    try:
        _record(params, model, context or {})
    except Exception as exc:  # recording must never change what the code under test sees
        RECORDER.errors.append(f"{model.service_model.service_name}.{model.name}: {exc!r}")


def _record(params: dict, model: Any, context: dict) -> None:
    service = model.service_model.service_name
    operation = model.name
    function, origin = _attribution()
    if function is None:
        with RECORDER.lock:
            RECORDER.unattributed[origin] += 1
        return
    from chalicelib.platform import config

    settings = config.settings
    region = context.get("client_region") or settings.region
    requests = iam_requests(service, operation, params, settings, region)
    with RECORDER.lock:
        for action, target in requests:
            RECORDER.calls[Call(function, service, operation, action, target, origin)] += 1


# --- attribution: which Lambda function is running ---------------------------------------------


def _handlers() -> dict[int, str]:
    """``id(handler object) -> Lambda function name`` for the app's handlers."""
    app_module = sys.modules.get("app")
    app = getattr(app_module, "app", None)
    if app is None:
        return {}
    found = {id(app): API_HANDLER}
    for name, handler in app.handler_map.items():
        if hasattr(handler, "func"):  # ChaliceAuthorizer, EventSourceHandler
            found[id(handler)] = name
    return found


def _attribution() -> tuple[str | None, str]:
    """(Lambda function on the stack or None, innermost project frame as ``path:function``)."""
    handlers = _handlers()
    origin = ""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if not origin:
            path = Path(code.co_filename)
            if ROOT in path.parents and ".venv" not in path.parts and path != _HERE:
                origin = f"{path.relative_to(ROOT).as_posix()}:{code.co_name}"
        if code.co_name == "__call__":
            name = handlers.get(id(frame.f_locals.get("self")))
            if name is not None:
                if origin.startswith(("tests/", "sidenote_cli/", "scripts/")):
                    return None, origin
                return name, origin
        frame = frame.f_back
    return None, origin or "?"


# --- mapping a call to IAM requests ------------------------------------------------------------

_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def iam_requests(
    service: str, operation: str, params: dict, settings: Any, region: str
) -> list[tuple[str, Target]]:
    """The (IAM action, target) pairs AWS authorizes for one API call."""
    where = _region_role(region, settings)
    if service == "dynamodb":
        return _dynamodb(operation, params, settings, where)
    if service == "sqs":
        action = f"sqs:{_SQS_BATCH.get(operation, operation)}"
        if operation == "ListQueues":
            return [(action, Target("any", "*"))]
        name = params.get("QueueName") or urlparse(params.get("QueueUrl", "")).path.rsplit("/")[-1]
        return [(action, _setting_target("queue", name, settings, where, params.get("QueueUrl")))]
    if service == "sns":
        topic = params.get("TopicArn") or params.get("TargetArn") or params.get("Name", "")
        return [(f"sns:{operation}", _setting_target("topic", topic, settings, where))]
    if service == "ssm":
        names = params.get("Names") or [params.get("Name", "")]
        action = f"ssm:{operation}"
        return [(action, _setting_target("parameter", n, settings, where)) for n in names]
    if service == "secretsmanager":
        secret = params.get("SecretId", "")
        return [(f"secretsmanager:{operation}", _setting_target("secret", secret, settings, where))]
    if service == "cloudwatch" and operation == "PutMetricData":
        return [("cloudwatch:PutMetricData", Target("any", "*"))]
    return [(f"{service}:{operation}", Target("unknown", f"{service}.{operation}", region=where))]


def _region_role(region: str, settings: Any) -> str:
    if region == settings.region:
        return "home"
    return "fallback" if region in settings.regions else f"unknown:{region}"


def _table_target(table: str, settings: Any, where: str, index: str = "") -> Target:
    if not table.startswith(settings.table_prefix):
        return Target("unknown", f"table {table}", region=where)
    suffix = table[len(settings.table_prefix) :]
    return Target("index" if index else "table", suffix, index, where)


def _dynamodb(operation: str, params: dict, settings: Any, where: str) -> list[tuple[str, Target]]:
    if operation == "TransactWriteItems":
        return [
            (f"dynamodb:{_TRANSACT_WRITE[kind]}", _table_target(op["TableName"], settings, where))
            for item in params.get("TransactItems", [])
            for kind, op in item.items()
        ]
    if operation == "TransactGetItems":
        return [
            ("dynamodb:GetItem", _table_target(item["Get"]["TableName"], settings, where))
            for item in params.get("TransactItems", [])
        ]
    if operation in {"BatchGetItem", "BatchWriteItem"}:
        return [
            (f"dynamodb:{operation}", _table_target(table, settings, where))
            for table in params.get("RequestItems", {})
        ]
    if operation == "ListTables":
        return [("dynamodb:ListTables", Target("any", "*"))]
    table = params.get("TableName", "")
    index = params.get("IndexName", "") if operation in {"Query", "Scan"} else ""
    return [(f"dynamodb:{operation}", _table_target(table, settings, where, index))]


def _setting_target(
    kind: str, value: str, settings: Any, where: str, url: str | None = None
) -> Target:
    """The Settings field whose value names this queue/topic/parameter/secret."""
    for candidate in (url, value):
        if not candidate:
            continue
        for item in fields(settings):
            if item.name != "stage" and getattr(settings, item.name) == candidate:
                return Target(kind, item.name, region=where)
    return Target("unknown", f"{kind} {value}", region=where)


# --- stages: their functions, settings and policies -----------------------------------------


@cache
def chalice_config() -> dict:
    return json.loads((CHALICE_DIR / "config.json").read_text())


def stages() -> list[str]:
    """The deployed stages (those with an IAM policy; ``local`` only runs under chalice local)."""
    return sorted(name for name, stage in chalice_config()["stages"].items()
                  if "iam_policy_file" in stage)  # fmt: skip


def _scoped(stage: str, function: str) -> Any:
    from chalice.config import Config

    return Config(
        chalice_stage=stage,
        function_name=function,
        config_from_disk=chalice_config(),
        user_provided_params={"project_dir": str(ROOT)},
    )


def functions() -> list[str]:
    """Every Lambda function of the app: the API handler and each authorizer, schedule and
    queue consumer (what ``chalice package`` makes a function and a role of)."""
    from app import app

    return [API_HANDLER, *(n for n, h in app.handler_map.items() if hasattr(h, "func"))]


def policy_file(stage: str, function: str, chalice_dir: Path | None = None) -> Path:
    """The policy document chalice attaches to ``function``'s role in ``stage`` (the same
    lookup chalice makes: the function's ``iam_policy_file``, the stage's, the top level's,
    else ``policy-<stage>.json``). ``chalice_dir``: another ``.chalice`` (an older revision)."""
    if chalice_dir is None:
        scoped = _scoped(stage, function)
    else:
        from chalice.config import Config

        disk = json.loads((chalice_dir / "config.json").read_text())
        scoped = Config(chalice_stage=stage, function_name=function, config_from_disk=disk)
    name = scoped.iam_policy_file or f"policy-{stage}.json"
    return (chalice_dir or CHALICE_DIR) / name


def policy(stage: str, function: str) -> dict:
    return json.loads(policy_file(stage, function).read_text())


def merge_template(stage: str) -> dict | None:
    """The template ``make package`` merges into ``stage``'s (home.json for the home stage,
    region.json for every other ``prod-*`` stage, none for the rest)."""
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        import build
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    if stage == build.HOME_STAGE:
        return json.loads((ROOT / "deploy" / "home.json").read_text())
    if stage.startswith("prod-"):
        return json.loads((ROOT / "deploy" / "region.json").read_text())
    return None


def logical_id(function: str) -> str:
    """The function's resource name in chalice's SAM template."""
    from chalice.utils import to_cfn_resource_name

    return "APIHandler" if function == API_HANDLER else to_cfn_resource_name(function)


def stage_region(stage: str) -> str:
    """The stage's region: the first of its ``SIDENOTE_REGIONS`` (us-east-1 without one)."""
    env = _scoped(stage, API_HANDLER).environment_variables
    regions = [r.strip() for r in env.get("SIDENOTE_REGIONS", "").split(",") if r.strip()]
    return regions[0] if regions else "us-east-1"


def _resolve(value: Any, template: dict, region: str) -> str:
    """A template value as the function sees it (``Ref`` of a topic or queue resolved)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Ref"}:
        resource = template["Resources"][value["Ref"]]
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::SNS::Topic":
            return f"arn:aws:sns:{region}:{ACCOUNT}:{properties['TopicName']}"
        if resource["Type"] == "AWS::SQS::Queue":
            return f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{properties['QueueName']}"
    raise ValueError(f"cannot resolve {value!r}")


def function_environment(stage: str, function: str) -> dict[str, str]:
    """The environment ``function`` gets in ``stage``: config.json, then the merge template."""
    env = dict(_scoped(stage, function).environment_variables)
    template = merge_template(stage)
    if template is not None:
        resource = template["Resources"].get(logical_id(function), {})
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        region = stage_region(stage)
        env.update({k: _resolve(v, template, region) for k, v in variables.items()})
    return env


def stage_settings(stage: str, function: str) -> Any:
    """``config.Settings`` as ``function`` builds them in ``stage``'s region."""
    from chalicelib.platform import config

    env = function_environment(stage, function)
    return config.load({**env, "AWS_REGION": stage_region(stage)})


def log_group(stage: str, function: str) -> tuple[str, bool]:
    """(log group name, whether the stack creates it) of ``function`` in ``stage``."""
    template = merge_template(stage)
    if template is not None:
        resource = template["Resources"].get(logical_id(function), {})
        group = resource.get("Properties", {}).get("LoggingConfig", {}).get("LogGroup")
        if isinstance(group, dict) and set(group) == {"Ref"}:
            declared = template["Resources"][group["Ref"]]["Properties"]["LogGroupName"]
            return declared, True
    app_name = chalice_config()["app_name"]
    return f"/aws/lambda/{app_name}-{stage}-{function}", False


# --- rendering targets as a stage's ARNs ----------------------------------------------------


def _regions(target: Target, settings: Any) -> list[str]:
    if target.region == "home":
        return [settings.region]
    if target.region == "fallback":
        return list(settings.fallback_regions)
    return []


def render(target: Target, settings: Any) -> list[str] | None:
    """The ARNs of ``target`` in a stage (``[]``: the call cannot happen there; None: unknown)."""
    if target.kind == "unknown":
        return None
    if target.kind == "any":
        return ["*"]
    arns = []
    for region in _regions(target, settings):
        if target.kind in {"table", "index"}:
            arn = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{settings.table_prefix}{target.name}"
            arns.append(f"{arn}/index/{target.index}" if target.index else arn)
            continue
        value = getattr(settings, target.name)
        if not value:
            continue  # not configured in this stage: the code makes no such call
        if value.startswith("arn:"):
            arns.append(value)
        elif target.kind == "queue":
            name = urlparse(value).path.rsplit("/")[-1] if "://" in value else value
            arns.append(f"arn:aws:sqs:{region}:{ACCOUNT}:{name}")
        elif target.kind == "topic":
            arns.append(f"arn:aws:sns:{region}:{ACCOUNT}:{value}")
        elif target.kind == "parameter":
            arns.append(f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{value.lstrip('/')}")
        elif target.kind == "secret":
            arns.append(f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:{value}{SECRET_SUFFIX}")
    return arns


@dataclass(frozen=True)
class Request:
    """One IAM request of one function in one stage."""

    stage: str
    function: str
    action: str
    resource: str
    #: Where it comes from: a recorded call's origin, or ``platform: …`` (the Lambda service).
    why: str


def platform_requests(stage: str, function: str) -> list[Request]:
    """What the Lambda service does with the function's role, not the code: write its logs,
    send its traces, and for a queue consumer, poll and delete (the event source mapping)."""
    settings = stage_settings(stage, function)
    region = settings.region
    group, created = log_group(stage, function)
    group_arn = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{group}"
    found = [
        Request(stage, function, f"logs:{action}", f"{group_arn}:log-stream:2026/01/01/x", "logs")
        for action in ("CreateLogStream", "PutLogEvents")
    ]
    if not created:  # Lambda makes the group on first use
        found.append(Request(stage, function, "logs:CreateLogGroup", group_arn, "logs"))
    if _scoped(stage, function).xray_enabled:
        found += [
            Request(stage, function, f"xray:{action}", "*", "tracing")
            for action in ("PutTraceSegments", "PutTelemetryRecords")
        ]
    from app import app

    for source in app.event_sources:
        if source.name == function and hasattr(source, "queue"):
            queue = f"arn:aws:sqs:{region}:{ACCOUNT}:{source.queue}"
            found += [
                Request(stage, function, f"sqs:{action}", queue, "sqs event source mapping")
                for action in ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")
            ]
    return [Request(r.stage, r.function, r.action, r.resource, f"platform: {r.why}") for r in found]


def stage_requests(calls: Iterable[Call], stage: str) -> tuple[list[Request], list[Call]]:
    """(the IAM requests these calls make in ``stage``, the calls the mapping cannot place)."""
    requests: list[Request] = []
    unknown: list[Call] = []
    settings = {f: stage_settings(stage, f) for f in functions()}
    for call in calls:
        if call.function not in settings:
            unknown.append(call)
            continue
        arns = render(call.target, settings[call.function])
        if arns is None:
            unknown.append(call)
            continue
        why = f"{call.origin} ({call.service}.{call.operation})"
        requests += [Request(stage, call.function, call.action, arn, why) for arn in arns]
    for function in settings:
        requests += platform_requests(stage, function)
    return requests, unknown


# --- evaluating a policy ----------------------------------------------------------------------


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


@cache
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(regex + r"\Z", re.IGNORECASE if ignore_case else 0)


def matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM wildcard match (``*`` any run, ``?`` one character). Actions ignore case."""
    return bool(_pattern(pattern, ignore_case).match(value))


@dataclass(frozen=True)
class Grant:
    """One (action pattern, resource pattern) pair of an Allow statement."""

    file: str
    sid: str
    action: str
    resource: str


def grants(document: dict, file: str) -> Iterator[tuple[dict, Grant]]:
    for number, statement in enumerate(document["Statement"]):
        unsupported = {"Condition", "NotAction", "NotResource", "NotPrincipal"} & set(statement)
        if unsupported:
            raise ValueError(f"{file}: statement {number} uses {sorted(unsupported)}")
        sid = statement.get("Sid") or f"#{number}"
        for action in _listed(statement["Action"]):
            for resource in _listed(statement["Resource"]):
                yield statement, Grant(file, sid, action, resource)


def decide(document: dict, file: str, action: str, resource: str) -> tuple[bool, list[Grant]]:
    """(allowed, the Allow grants that match). An explicit Deny refuses whatever allows."""
    allowing = []
    for statement, grant in grants(document, file):
        if not (
            matches(grant.action, action, ignore_case=True) and matches(grant.resource, resource)
        ):
            continue
        if statement["Effect"] == "Deny":
            return False, []
        allowing.append(grant)
    return bool(allowing), allowing


@dataclass
class Verdict:
    """The outcome of holding requests against the policies of every stage."""

    checked: list[Request] = field(default_factory=list)
    refused: list[tuple[Request, str]] = field(default_factory=list)
    used: set[Grant] = field(default_factory=set)
    granted: set[Grant] = field(default_factory=set)
    unknown: list[Call] = field(default_factory=list)

    @property
    def unused(self) -> list[Grant]:
        return sorted(self.granted - self.used, key=lambda g: (g.file, g.sid, g.action, g.resource))


def verdict(calls: Iterable[Call], chalice_dir: Path | None = None) -> Verdict:
    """Hold ``calls`` (and each function's platform needs) against every stage's policies
    (those of ``chalice_dir`` if given: the same calls against older roles)."""
    calls = list(calls)
    result = Verdict()
    for stage in stages():
        requests, unknown = stage_requests(calls, stage)
        result.unknown += unknown
        files = {f: policy_file(stage, f, chalice_dir) for f in functions()}
        for path in set(files.values()):
            result.granted |= {g for _, g in grants(json.loads(path.read_text()), path.name)}
        for request in dict.fromkeys(requests):
            path = files[request.function]
            allowed, by = decide(
                json.loads(path.read_text()), path.name, request.action, request.resource
            )
            result.checked.append(request)
            result.used |= set(by)
            if not allowed:
                result.refused.append((request, path.name))
    return result


def table(result: Verdict) -> str:
    """The refused requests, one line each (for assertion messages and the report)."""
    lines = [
        f"{file}: {r.function} {r.action} {r.resource}  <- {r.why}" for r, file in result.refused
    ]
    return "\n".join(sorted(set(lines)))
