"""The deployment templates: built from the models, merged by ``chalice package``, and
clean under cfn-lint (what CI runs on the packaged output)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent


def _build_module():
    spec = importlib.util.spec_from_file_location("sidenote_deploy_build", DEPLOY / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _package(stage: str, region: str, merge: str, out: Path) -> dict:
    env = {**os.environ, "AWS_DEFAULT_REGION": region}
    result = subprocess.run(
        [str(BIN / "chalice"), "package", "--stage", stage, "--merge-template",
         str(DEPLOY / merge), str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads((out / "sam.json").read_text())


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    """``chalice package`` of the home stage and of the other region's stage."""
    out = tmp_path_factory.mktemp("packaged")
    home = _package("prod-use1", "us-east-1", "home.json", out / "home")
    region = _package("prod-euw1", "eu-west-1", "region.json", out / "region")
    yield {
        "home": (home, out / "home" / "sam.json"),
        "region": (region, out / "region" / "sam.json"),
    }
    shutil.rmtree(out, ignore_errors=True)


def test_committed_templates_match_the_models():
    build = _build_module()
    for name, template in build.templates().items():
        assert (DEPLOY / name).read_text() == build.render(template), (
            f"deploy/{name} is out of date: run python deploy/build.py"
        )


def test_global_tables_have_a_replica_per_region_with_streams_pitr_and_protection():
    home = json.loads((DEPLOY / "home.json").read_text())
    tables = {
        k: v for k, v in home["Resources"].items() if v.get("Type") == "AWS::DynamoDB::GlobalTable"
    }
    assert set(tables) == {"CommentsTable", "SitesTable", "EphemeralTable"}
    for table in tables.values():
        properties = table["Properties"]
        assert table["DeletionPolicy"] == "Retain"
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
        assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        assert [r["Region"] for r in properties["Replicas"]] == ["us-east-1", "eu-west-1"]
        for replica in properties["Replicas"]:
            assert replica["DeletionProtectionEnabled"] is True
            assert replica["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]
    comments = tables["CommentsTable"]["Properties"]
    assert {i["IndexName"] for i in comments["GlobalSecondaryIndexes"]} >= {
        "by-id",
        "feed",
        "queue",
    }
    ephemeral = tables["EphemeralTable"]["Properties"]
    assert ephemeral["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}


@pytest.mark.slow  # chalice package twice: ~10 s for the module
def test_packaged_stacks_wire_the_queue_to_its_handler_and_the_api(packaged):
    for name in ("home", "region"):
        template, _ = packaged[name]
        resources = template["Resources"]
        queue = resources["WriteQueue"]["Properties"]
        assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
            "Fn::GetAtt": ["WriteDeadLetterQueue", "Arn"]
        }
        handler = resources["StoreQueuedComments"]
        assert handler["DependsOn"] == ["WriteQueue"]
        event = handler["Properties"]["Events"]["StoreQueuedCommentsSqsEventSource"]
        assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert event["Properties"]["Queue"]["Fn::Sub"].endswith(f":{queue['QueueName']}")
        assert queue["VisibilityTimeout"] >= 6 * handler["Properties"]["Timeout"]
        api_env = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
        assert api_env["SIDENOTE_WRITE_QUEUE_URL"] == {"Ref": "WriteQueue"}
    assert "Distribution" not in packaged["region"][0]["Resources"]


@pytest.mark.slow  # chalice package twice: ~10 s for the module
def test_cloudfront_fails_reads_over_between_regions_and_passes_writes_uncached(packaged):
    template, _ = packaged["home"]
    config = template["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    group = config["OriginGroups"]["Fn::If"][1]["Items"][0]
    assert group["FailoverCriteria"]["StatusCodes"]["Items"] == [500, 502, 503, 504]
    assert [m["OriginId"] for m in group["Members"]["Items"]] == ["primary-api", "failover-api"]
    default = config["DefaultCacheBehavior"]
    assert default["AllowedMethods"] == ["GET", "HEAD", "OPTIONS"]  # origin groups: reads only
    assert default["CachePolicyId"] == {"Ref": "ReadCachePolicy"}
    writes = config["CacheBehaviors"][0]
    assert writes["PathPattern"] == "/write/*"
    assert "POST" in writes["AllowedMethods"]
    assert writes["CachePolicyId"] == _build_module().CACHING_DISABLED
    policy = template["Resources"]["ReadCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert policy["DefaultTTL"] == 0  # the API's Cache-Control (and stale-if-error) rules


@pytest.mark.slow  # chalice package twice: ~10 s for the module
def test_the_gateways_own_errors_answer_code_and_message_like_the_api(packaged):
    """API Gateway's own 401/403/4xx/5xx (no Lambda ran) carry ``{"Code", "Message"}``: gateway
    responses inside the API definition, so every deployment of the stage has them."""
    for name in ("home", "region"):
        template, _ = packaged[name]
        resources = template["Resources"]
        definition = resources["RestAPI"]["Properties"]["DefinitionBody"]
        assert definition["paths"]  # merged into chalice's definition, not replacing it
        answers = definition["x-amazon-apigateway-gateway-responses"]
        assert set(answers) == {"UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"}
        assert not [r for r in resources.values() if "GatewayResponse" in r.get("Type", "")]
        codes = {}
        for kind, answer in answers.items():
            body = answer["responseTemplates"]["application/json"].replace(
                "$context.error.messageString", '"Missing Authentication Token"'
            )  # what the gateway substitutes: its message as a JSON string
            error = json.loads(body)
            assert set(error) == {"Code", "Message"} and error["Message"]
            codes[kind] = (answer.get("statusCode"), error["Code"])
            headers = answer["responseParameters"]
            assert headers["gatewayresponse.header.Content-Type"] == "'application/json'"
            cors = headers.get("gatewayresponse.header.Access-Control-Allow-Origin")
            # moderation answers grant no origin; generic ones may be read by a blog's widget
            assert cors == ("'*'" if kind.startswith("DEFAULT") else None), kind
        assert codes == {
            "UNAUTHORIZED": ("401", "Unauthorized"),
            "ACCESS_DENIED": ("403", "Forbidden"),
            "DEFAULT_4XX": (None, "InvalidRequest"),
            "DEFAULT_5XX": (None, "InternalServerError"),
        }


@pytest.mark.slow  # chalice package twice: ~10 s for the module
def test_packaged_templates_pass_cfn_lint(packaged):
    paths = [str(packaged[name][1]) for name in ("home", "region")]
    result = subprocess.run(
        [str(BIN / "cfn-lint"), *paths],
        cwd=DEPLOY, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stage_may_use_its_own_write_queue_only():
    for stage in ("dev", "prod-use1", "prod-euw1"):
        policy = json.loads((ROOT / ".chalice" / f"policy-{stage}.json").read_text())
        statement = next(s for s in policy["Statement"] if s.get("Sid") == "WriteQueue")
        assert all(":sidenote-writes" in r for r in statement["Resource"])
        assert "sqs:*" not in statement["Action"]


def test_api_access_log_lines_carry_no_ip_address_or_user_agent():
    """The access log is one JSON object per request; sidenote stores no IP address, so its
    log format names neither the source IP nor anything derived from the client."""
    build = _build_module()
    fields = set(build.ACCESS_LOG_FORMAT.values())
    assert "$context.requestId" in fields and "$context.status" in fields
    assert not [f for f in fields if "identity" in f or "sourceIp" in f or "userAgent" in f]
    home = json.loads((DEPLOY / "home.json").read_text())
    setting = home["Resources"]["RestAPI"]["Properties"]["AccessLogSetting"]
    assert json.loads(setting["Format"]) == build.ACCESS_LOG_FORMAT


@pytest.mark.slow  # chalice package twice: ~10 s for the module
def test_packaged_stacks_log_api_access_and_bound_each_functions_concurrency(packaged):
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    functions = _build_module().lambda_functions()
    for name, stage in (("home", "prod-use1"), ("region", "prod-euw1")):
        resources = packaged[name][0]["Resources"]
        api = resources["RestAPI"]
        assert api["DependsOn"] == ["ApiGatewayAccount"]  # the account's log role comes first
        assert api["Properties"]["TracingEnabled"] is True
        destination = api["Properties"]["AccessLogSetting"]["DestinationArn"]["Fn::Sub"]
        assert destination.endswith(":log-group:${ApiAccessLogGroup}")
        assert resources["ApiAccessLogGroup"]["Properties"]["RetentionInDays"] == 30
        reserved = config["stages"][stage]["lambda_functions"]
        for function, logical in functions.items():
            properties = resources[logical]["Properties"]
            limit = reserved[function]["reserved_concurrency"]
            assert properties["ReservedConcurrentExecutions"] == limit, function
            for event in properties.get("Events", {}).values():
                if event["Type"] == "SQS":  # never more invocations than may run at once
                    assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] == limit
        topics = [r for r in resources.values() if r["Type"] == "AWS::SNS::Topic"]
        assert topics and all(t["Properties"]["KmsMasterKeyId"] == "alias/aws/sns" for t in topics)
