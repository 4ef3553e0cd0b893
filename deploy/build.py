"""Write the CloudFormation templates that ``chalice package --merge-template`` merges.

One definition of the schema: the DynamoDB tables come from the PynamoDB models (through
``chalicelib.store.provisioning``, which ``sidenote tables create`` uses too), the regions from
the ``prod-*`` stages in ``.chalice/config.json``. Run ``python deploy/build.py`` after
changing a model; ``tests/test_template.py`` fails while the files are out of date.

- ``deploy/home.json``   the home region's stack (``prod-use1``): the global tables with a
  replica per region, the deployment secret with a replica per region, this region's write
  queue and dead-letter queue, and CloudFront in front of the regional APIs (origin-group
  failover for reads, ``/write/*`` uncached).
- ``deploy/region.json`` every other region's stack: its write queue and dead-letter queue.

Both stacks also hold this region's SNS topics and a log group per Lambda function
(:func:`function_resources`), which the IAM policies in ``.chalice/`` name.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
HOME_STAGE = "prod-use1"


def _regions() -> list[str]:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    regions = config["stages"][HOME_STAGE]["environment_variables"]["SIDENOTE_REGIONS"]
    return [r.strip() for r in regions.split(",") if r.strip()]


def _secret_id() -> str:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return config["stages"][HOME_STAGE]["environment_variables"]["SIDENOTE_SECRET_ID"]


def secret_resources(regions: list[str]) -> dict:
    """The deployment secret (edit tokens, keyed hashes): generated once, never shown, and
    replicated to every other region, whose functions read the same value from their own
    replica. Retained: losing it would void every edit token and stored hash. Not rotated:
    a new value would do the same."""
    return {
        "DeploymentSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Name": _secret_id(),
                "Description": "sidenote: edit tokens and keyed hashes (one value, every region)",
                "GenerateSecretString": {"PasswordLength": 64, "ExcludePunctuation": True},
                "ReplicaRegions": [{"Region": region} for region in regions[1:]],
            },
        }
    }


def _stage_prefix() -> str:
    """``<app>-<SIDENOTE_STAGE>-`` of the prod stages: how topics and log groups are named."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stage = config["stages"][HOME_STAGE]["environment_variables"]["SIDENOTE_STAGE"]
    return f"{config['app_name']}-{stage}-"


#: This region's SNS topics: logical id -> (topic name suffix, the variable naming it).
TOPICS = {
    "NotifyTopic": ("notify", "SIDENOTE_NOTIFY_TOPIC_ARN"),
    "AlertTopic": ("alerts", "SIDENOTE_ALERT_TOPIC_ARN"),
    "DigestTopic": ("digest", "SIDENOTE_DIGEST_TOPIC_ARN"),
}
LOG_RETENTION_DAYS = 30
#: SNS's AWS managed key: its key policy lets every principal of the account use it through
#: SNS in its region, so publishers need no KMS grant (CloudWatch alarms and EventBridge
#: cannot publish to a topic it encrypts: give those a topic of their own).
SNS_KEY = "alias/aws/sns"


def lambda_functions() -> dict[str, str]:
    """Every Lambda function chalice packages: function name -> its logical id."""
    from chalice.utils import to_cfn_resource_name

    from app import app

    names = [n for n, handler in app.handler_map.items() if hasattr(handler, "func")]
    return {"api_handler": "APIHandler", **{n: to_cfn_resource_name(n) for n in names}}


def function_resources() -> dict:
    """Per function, a log group of its own that it logs to (``LoggingConfig``), so that its
    role may write that group and no other (``.chalice/policy-*.json``); this region's SNS
    topics (moderator notifications, health alerts, daily digests), whose ARNs every
    function but the authorizer gets in its environment."""
    prefix = _stage_prefix()
    resources: dict = {
        logical: {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": prefix + suffix, "KmsMasterKeyId": SNS_KEY},
        }
        for logical, (suffix, _) in TOPICS.items()
    }
    topics = {variable: {"Ref": logical} for logical, (_, variable) in TOPICS.items()}
    for name, logical in lambda_functions().items():
        resources[f"{logical}LogGroup"] = {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{prefix}{name}",
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }
        properties: dict = {"LoggingConfig": {"LogGroup": {"Ref": f"{logical}LogGroup"}}}
        if name != "moderator_key":  # the authorizer publishes nothing
            properties["Environment"] = {"Variables": dict(topics)}
        resources[logical] = {"Properties": properties}
    return resources


def _merged(*parts: dict) -> dict:
    """Deep merge of resource maps (later parts add to, and win over, earlier ones)."""
    merged: dict = {}
    for part in parts:
        for key, value in part.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = _merged(merged[key], value)
            else:
                merged[key] = value
    return merged


PREFIX = {"Ref": "TablePrefix"}
#: CloudFront managed policies (fixed ids, documented by AWS).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
WRITE_FUNCTION = """function handler(event) {
  var request = event.request;
  request.uri = request.uri.replace(/^\\/write(?=\\/)/, '');
  return request;
}"""


def _suffix(table_name: str, prefix: str) -> str:
    return table_name[len(prefix) :]


def global_table(model: type, regions: list[str]) -> dict:
    """``AWS::DynamoDB::GlobalTable`` of a model (the same spec the CLI creates)."""
    from chalicelib.platform.config import settings
    from chalicelib.store.provisioning import table_spec

    spec = table_spec(model)
    properties: dict = {
        "TableName": {
            "Fn::Sub": "${TablePrefix}" + _suffix(spec["TableName"], settings.table_prefix)
        },
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": spec["AttributeDefinitions"],
        "KeySchema": spec["KeySchema"],
        "StreamSpecification": {"StreamViewType": spec["StreamViewType"]},
        "Replicas": [
            {
                "Region": region,
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "DeletionProtectionEnabled": True,
                "Tags": [{"Key": "app", "Value": "sidenote"}],
            }
            for region in regions
        ],
    }
    if spec["GlobalSecondaryIndexes"]:
        properties["GlobalSecondaryIndexes"] = spec["GlobalSecondaryIndexes"]
    if spec["TimeToLiveAttribute"]:
        properties["TimeToLiveSpecification"] = {
            "AttributeName": spec["TimeToLiveAttribute"],
            "Enabled": True,
        }
    return {
        "Type": "AWS::DynamoDB::GlobalTable",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def _logical(model: type) -> str:
    from chalicelib.platform.config import settings

    name = _suffix(model.Meta.table_name, settings.table_prefix)
    return name.title().replace("-", "") + "Table"


def _reserved_concurrency(function: str) -> int:
    """The function's ``reserved_concurrency`` in the prod stages (``.chalice/config.json``;
    the same in each, since either region may take all the traffic)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    values = {
        stage["lambda_functions"][function]["reserved_concurrency"]
        for name, stage in config["stages"].items()
        if name.startswith("prod-")
    }
    if len(values) != 1:
        raise ValueError(f"{function}: one reserved_concurrency for every prod stage: {values}")
    return values.pop()


def queue_triggers() -> dict:
    """Each SQS trigger invokes no more at once than its function's reserved concurrency
    (``MaximumConcurrency``): a batch throttled by the function would go back to its queue
    and spend one of its receives on nothing."""
    from app import app

    functions = lambda_functions()
    return {
        functions[source.name]: {
            "Properties": {
                "Events": {
                    f"{functions[source.name]}SqsEventSource": {
                        "Properties": {
                            "ScalingConfig": {
                                "MaximumConcurrency": _reserved_concurrency(source.name)
                            }
                        }
                    }
                }
            }
        }
        for source in app.event_sources
        if hasattr(source, "queue")
    }


def queue_resources() -> dict:
    """This region's write queue, dead-letter queue and an alarm on dead letters, plus
    what the merge changes in chalice's own resources: the SQS trigger points at the
    queue (and reports partial batch failures) and the API knows the queue's URL."""
    from chalicelib.platform.config import settings

    fourteen_days = 14 * 24 * 3600
    return {
        "WriteDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "QueueName": settings.dead_letter_queue,
                "MessageRetentionPeriod": fourteen_days,
                "SqsManagedSseEnabled": True,
            },
        },
        "WriteQueue": {
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "QueueName": settings.write_queue,
                "MessageRetentionPeriod": fourteen_days,
                # >= 6 x the handler's timeout (20 s), as AWS advises for SQS triggers.
                "VisibilityTimeout": 120,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["WriteDeadLetterQueue", "Arn"]},
                    # ~100 x 120 s: a table outage of over three hours before a comment
                    # is dead-lettered; `sidenote queue redrive` brings it back.
                    "maxReceiveCount": 100,
                },
            },
        },
        "DeadLettersAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": "sidenote: comments in the write dead-letter queue",
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [
                    {
                        "Name": "QueueName",
                        "Value": {"Fn::GetAtt": ["WriteDeadLetterQueue", "QueueName"]},
                    }
                ],
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 1,
                "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
            },
        },
        # Webmention verification (chalicelib/linkbacks/queue.py): the same durability
        # rules; a source that keeps failing is dead-lettered after 5 receives (~15 min).
        "WebmentionDeadLetterQueue": {
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "QueueName": settings.webmention_dead_letter_queue,
                "MessageRetentionPeriod": fourteen_days,
                "SqsManagedSseEnabled": True,
            },
        },
        "WebmentionQueue": {
            "Type": "AWS::SQS::Queue",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "QueueName": settings.webmention_queue,
                "MessageRetentionPeriod": 4 * 24 * 3600,
                # >= the handler's worst case (3 sources x 10 s fetch limit, plus storing).
                "VisibilityTimeout": 180,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["WebmentionDeadLetterQueue", "Arn"]},
                    "maxReceiveCount": 5,
                },
            },
        },
        "VerifyWebmentions": {
            "DependsOn": ["WebmentionQueue"],
            "Properties": {
                "Events": {
                    "VerifyWebmentionsSqsEventSource": {
                        "Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
                    }
                }
            },
        },
        "StoreQueuedComments": {
            # chalice names the queue by ARN (same name): make the queue exist first.
            "DependsOn": ["WriteQueue"],
            "Properties": {
                "Events": {
                    "StoreQueuedCommentsSqsEventSource": {
                        "Properties": {"FunctionResponseTypes": ["ReportBatchItemFailures"]}
                    }
                }
            },
        },
        "APIHandler": {
            "Properties": {
                "Environment": {"Variables": {"SIDENOTE_WRITE_QUEUE_URL": {"Ref": "WriteQueue"}}}
            }
        },
    }


def cloudfront_resources() -> dict:
    """CloudFront in front of the regional APIs: reads cached by their Cache-Control
    (stale-if-error honoured), GETs failing over between regional origins (origin group),
    writes under ``/write/*`` passed to the primary origin uncached."""
    primary_domain = {
        "Fn::If": [
            "HasPrimaryOrigin",
            {"Ref": "PrimaryOriginDomain"},
            {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"},
        ]
    }

    def origin(origin_id: str, domain: object) -> dict:
        return {
            "Id": origin_id,
            "DomainName": domain,
            "OriginPath": {"Ref": "OriginPath"},
            "CustomOriginConfig": {
                "OriginProtocolPolicy": "https-only",
                "OriginSSLProtocols": ["TLSv1.2"],
                "OriginReadTimeout": 30,
            },
            "ConnectionAttempts": 2,
            "ConnectionTimeout": 3,
        }

    return {
        "ReadCachePolicy": {
            "Type": "AWS::CloudFront::CachePolicy",
            "Properties": {
                "CachePolicyConfig": {
                    "Name": {"Fn::Sub": "${AWS::StackName}-reads"},
                    "Comment": "Reads: cached as the API's Cache-Control says",
                    "MinTTL": 0,
                    "DefaultTTL": 0,
                    "MaxTTL": 86400,
                    "ParametersInCacheKeyAndForwardedToOrigin": {
                        "EnableAcceptEncodingGzip": True,
                        "EnableAcceptEncodingBrotli": True,
                        "HeadersConfig": {
                            "HeaderBehavior": "whitelist",
                            "Headers": ["Origin"],
                        },
                        "QueryStringsConfig": {"QueryStringBehavior": "all"},
                        "CookiesConfig": {"CookieBehavior": "none"},
                    },
                }
            },
        },
        "WritePathFunction": {
            "Type": "AWS::CloudFront::Function",
            "Properties": {
                "Name": {"Fn::Sub": "${AWS::StackName}-write-path"},
                "AutoPublish": True,
                "FunctionCode": WRITE_FUNCTION,
                "FunctionConfig": {
                    "Comment": "/write/sites/... -> /sites/...",
                    "Runtime": "cloudfront-js-2.0",
                },
            },
        },
        "Distribution": {
            "Type": "AWS::CloudFront::Distribution",
            "Properties": {
                "DistributionConfig": {
                    "Comment": "sidenote: reads cached at the edge, failover between regions",
                    "Enabled": True,
                    "HttpVersion": "http2and3",
                    "PriceClass": "PriceClass_100",
                    "Origins": [
                        origin("primary-api", primary_domain),
                        {
                            "Fn::If": [
                                "HasFailoverOrigin",
                                origin("failover-api", {"Ref": "FailoverOriginDomain"}),
                                {"Ref": "AWS::NoValue"},
                            ]
                        },
                    ],
                    "OriginGroups": {
                        "Fn::If": [
                            "HasFailoverOrigin",
                            {
                                "Quantity": 1,
                                "Items": [
                                    {
                                        "Id": "regional-apis",
                                        "FailoverCriteria": {
                                            "StatusCodes": {
                                                "Quantity": 4,
                                                "Items": [500, 502, 503, 504],
                                            }
                                        },
                                        "Members": {
                                            "Quantity": 2,
                                            "Items": [
                                                {"OriginId": "primary-api"},
                                                {"OriginId": "failover-api"},
                                            ],
                                        },
                                    }
                                ],
                            },
                            {"Ref": "AWS::NoValue"},
                        ]
                    },
                    "DefaultCacheBehavior": {
                        "TargetOriginId": {
                            "Fn::If": ["HasFailoverOrigin", "regional-apis", "primary-api"]
                        },
                        "ViewerProtocolPolicy": "redirect-to-https",
                        "AllowedMethods": ["GET", "HEAD", "OPTIONS"],
                        "CachedMethods": ["GET", "HEAD"],
                        "CachePolicyId": {"Ref": "ReadCachePolicy"},
                        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
                        "Compress": True,
                    },
                    "CacheBehaviors": [
                        {
                            "PathPattern": "/write/*",
                            "TargetOriginId": "primary-api",
                            "ViewerProtocolPolicy": "https-only",
                            "AllowedMethods": [
                                "GET",
                                "HEAD",
                                "OPTIONS",
                                "PUT",
                                "PATCH",
                                "POST",
                                "DELETE",
                            ],
                            "CachedMethods": ["GET", "HEAD"],
                            "CachePolicyId": CACHING_DISABLED,
                            "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST,
                            "FunctionAssociations": [
                                {
                                    "EventType": "viewer-request",
                                    "FunctionARN": {
                                        "Fn::GetAtt": [
                                            "WritePathFunction",
                                            "FunctionMetadata.FunctionARN",
                                        ]
                                    },
                                }
                            ],
                        }
                    ],
                    # Errors are not cached: the next request tries the origins again.
                    "CustomErrorResponses": [
                        {"ErrorCode": code, "ErrorCachingMinTTL": 0}
                        for code in (500, 502, 503, 504)
                    ],
                }
            },
        },
    }


#: API Gateway's own answers (no Lambda runs) in the API's error shape ``{"Code", "Message"}``
#: instead of its ``{"message": …}``: response type -> (status, Code, Message or None for the
#: gateway's own message, CORS). Statuses are the gateway's defaults; only the body changes.
GATEWAY_ERRORS = {
    # No Authorization header on a moderation route: refused before the authorizer runs.
    "UNAUTHORIZED": ("401", "Unauthorized", "Send Authorization: Bearer <moderator key>.", False),
    # An authorizer deny (sidenote's authorizer never denies; kept in shape all the same).
    "ACCESS_DENIED": ("403", "Forbidden", "This key cannot moderate this site.", False),
    # Everything else the gateway refuses (unknown path, throttling, oversized request...)
    # or fails at (integration timeout, Lambda throttled) — public routes among them, so
    # a blog's widget may read the answer: no credentials are involved, the body is generic.
    "DEFAULT_4XX": (None, "InvalidRequest", None, True),
    "DEFAULT_5XX": (None, "InternalServerError", None, True),
}


def gateway_responses() -> dict:
    """:data:`GATEWAY_ERRORS` as API Gateway gateway responses of chalice's ``RestAPI``.

    They go into the API definition (``x-amazon-apigateway-gateway-responses``) rather than
    separate ``AWS::ApiGateway::GatewayResponse`` resources: SAM deploys the stage from the
    definition, so there they ship with every deployment, while separate resources are left
    out of (or reset by) the next deployment of the API. A gateway response template is plain
    substitution (no VTL): ``$context.error.messageString`` is the message, already quoted.
    """
    responses = {}
    for kind, (status, code, message, cors) in GATEWAY_ERRORS.items():
        text = json.dumps(message) if message else "$context.error.messageString"
        headers = {
            "gatewayresponse.header.Content-Type": "'application/json'",
            "gatewayresponse.header.Cache-Control": "'no-store'",
        }
        if cors:
            headers["gatewayresponse.header.Access-Control-Allow-Origin"] = "'*'"
            headers["gatewayresponse.header.Access-Control-Expose-Headers"] = "'Retry-After'"
        response: dict = {
            "responseParameters": headers,
            "responseTemplates": {"application/json": f'{{"Code":"{code}","Message":{text}}}'},
        }
        if status:
            response["statusCode"] = status
        responses[kind] = response
    definition = {"x-amazon-apigateway-gateway-responses": responses}
    return {"RestAPI": {"Properties": {"DefinitionBody": definition}}}


#: API Gateway access log line (JSON). No source IP and no user agent: sidenote stores no
#: IP address anywhere (keyed hashes only), and its logs are no exception.
ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "time": "$context.requestTime",
    "method": "$context.httpMethod",
    "route": "$context.resourcePath",
    "path": "$context.path",
    "status": "$context.status",
    "bytes": "$context.responseLength",
    "latencyMs": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatencyMs": "$context.integration.latency",
    "error": "$context.error.responseType",
    "authorizerError": "$context.authorizer.error",
    "xrayTraceId": "$context.xrayTraceId",
}


def api_resources() -> dict:
    """Access logs and X-Ray for chalice's API stage, and what they need.

    - ``ApiAccessLogGroup``: one JSON line per request (:data:`ACCESS_LOG_FORMAT`), kept
      :data:`LOG_RETENTION_DAYS` days.
    - ``ApiGatewayAccount``: API Gateway writes logs with a role set once per region and
      account (``ApiGatewayLogsRole``, AWS's managed policy for exactly that); the API
      depends on it, so the stage is made after the setting exists. It replaces a role the
      account may already have in that region, which serves every API there just the same.
    """
    prefix = _stage_prefix()
    return {
        "ApiAccessLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": f"/aws/apigateway/{prefix}api",
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        },
        "ApiGatewayLogsRole": {
            "Type": "AWS::IAM::Role",
            "Properties": {
                "AssumeRolePolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "apigateway.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                },
                "ManagedPolicyArns": [
                    "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
                ],
            },
        },
        "ApiGatewayAccount": {
            "Type": "AWS::ApiGateway::Account",
            "Properties": {"CloudWatchRoleArn": {"Fn::GetAtt": ["ApiGatewayLogsRole", "Arn"]}},
        },
        "RestAPI": {
            "DependsOn": ["ApiGatewayAccount"],
            "Properties": {
                "TracingEnabled": True,
                "AccessLogSetting": {
                    "DestinationArn": {
                        "Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:"
                        "${AWS::AccountId}:log-group:${ApiAccessLogGroup}"
                    },
                    "Format": json.dumps(ACCESS_LOG_FORMAT, separators=(",", ":")),
                },
            },
        },
    }


def schedule_alarms() -> dict:
    """An alarm per schedule on any failed run (an hour's ``Errors``): what a dead-letter queue
    would tell about a scheduled run, without one (see docs/operations.md, Security scan)."""
    from app import app

    functions = lambda_functions()
    schedules = [s.name for s in app.event_sources if hasattr(s, "schedule_expression")]
    return {
        f"{functions[name]}ErrorsAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmDescription": f"sidenote: the {name} schedule failed",
                "Namespace": "AWS/Lambda",
                "MetricName": "Errors",
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": functions[name]}}],
                "Statistic": "Sum",
                "Period": 3600,
                "EvaluationPeriods": 1,
                "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold",
                "TreatMissingData": "notBreaching",
            },
        }
        for name in sorted(schedules)
    }


def _region_resources() -> dict:
    """What every region's stack holds (the home region's adds tables, secret, CloudFront)."""
    return _merged(
        queue_resources(),
        queue_triggers(),
        function_resources(),
        gateway_responses(),
        api_resources(),
        schedule_alarms(),
    )


def home_template(regions: list[str]) -> dict:
    from chalicelib.store.models import ALL_TABLES

    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "sidenote home region: global tables, secret, write queue, CloudFront",
        "Parameters": {
            "TablePrefix": {"Type": "String", "Default": "sidenote-prod-"},
            "PrimaryOriginDomain": {
                "Type": "String",
                "Default": "",
                "Description": "Reads' primary origin (empty: this stack's regional API). "
                "Use the Route 53 failover name of the API to follow its health checks.",
            },
            "FailoverOriginDomain": {
                "Type": "String",
                "Default": "",
                "Description": "Another region's API domain (empty: no origin failover yet).",
            },
            "OriginPath": {"Type": "String", "Default": "/api"},
        },
        "Conditions": {
            "HasPrimaryOrigin": {"Fn::Not": [{"Fn::Equals": [{"Ref": "PrimaryOriginDomain"}, ""]}]},
            "HasFailoverOrigin": {
                "Fn::Not": [{"Fn::Equals": [{"Ref": "FailoverOriginDomain"}, ""]}]
            },
        },
        "Resources": {
            **{_logical(model): global_table(model, regions) for model in ALL_TABLES},
            **secret_resources(regions),
            **_region_resources(),
            **cloudfront_resources(),
        },
        "Outputs": {
            "DistributionDomain": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
            "WriteQueueUrl": {"Value": {"Ref": "WriteQueue"}},
        },
    }


def region_template() -> dict:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "sidenote region: write queue, dead-letter queue, topics, log groups",
        "Resources": _region_resources(),
        "Outputs": {"WriteQueueUrl": {"Value": {"Ref": "WriteQueue"}}},
    }


def templates() -> dict[str, dict]:
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return {"home.json": home_template(_regions()), "region.json": region_template()}


def render(template: dict) -> str:
    return json.dumps(template, indent=2, sort_keys=False) + "\n"


def main() -> None:
    for name, template in templates().items():
        (HERE / name).write_text(render(template))
        print(f"wrote deploy/{name}")


if __name__ == "__main__":
    main()
