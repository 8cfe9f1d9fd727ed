"""ssm_activation and ssm_activation_info against a botocore Stubber (no request leaves the process)."""

import datetime
import json

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ansible_collections.amazon.aws.plugins.module_utils import cloud
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _ssm_activation
from ansible_collections.eks_hybrid.nodes.plugins.modules import ssm_activation, ssm_activation_info

CODE = "EXAMPLEcodeEXAMPLEcode12"
ACTIVATION_A = "5743558d-563b-4457-8682-d16c3c1d63ac"
ACTIVATION_B = "a1b2c3d4-0000-4000-8000-000000000002"
CLUSTER_TAG = {"EKSClusterARN": "arn:aws:eks:us-west-2:123456789012:cluster/eks-workshop"}
BASE_ARGS = dict(region="us-west-2", access_key="testing", secret_key="testing")


@pytest.fixture
def ssm(monkeypatch):
    """A stubbed SSM client handed to the modules in place of a real one; retry sleeps are skipped."""
    client = boto3.client("ssm", region_name="us-west-2", endpoint_url="http://127.0.0.1:9",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    stubber = Stubber(client)

    def fake_client(module, service, retry_decorator=None, **kwargs):
        assert service == "ssm"
        return RetryingBotoClientWrapper(client, retry_decorator)

    monkeypatch.setattr(AnsibleAWSModule, "client", fake_client)
    monkeypatch.setattr(cloud.time, "sleep", lambda seconds: None)
    with stubber:
        yield stubber
    stubber.assert_no_pending_responses()


def activation(activation_id, tags=None, expired=False, limit=3, count=1):
    return {
        "ActivationId": activation_id, "Description": "hybrid nodes", "DefaultInstanceName": "eks-workshop-hybrid",
        "IamRole": "eks-workshop-hybrid-nodes", "RegistrationLimit": limit, "RegistrationsCount": count,
        "ExpirationDate": datetime.datetime(2026, 12, 4, 19, tzinfo=datetime.timezone.utc), "Expired": expired,
        "CreatedDate": datetime.datetime(2026, 12, 4, 15, tzinfo=datetime.timezone.utc),
        "Tags": [{"Key": key, "Value": value} for key, value in (tags or {}).items()],
    }


@pytest.mark.parametrize("iam_role, expected", [
    ("eks-workshop-hybrid-nodes", "eks-workshop-hybrid-nodes"),
    ("service-role/eks-hybrid", "service-role/eks-hybrid"),
    ("arn:aws:iam::123456789012:role/eks-workshop-hybrid-nodes", "eks-workshop-hybrid-nodes"),
    ("arn:aws:iam::123456789012:role/service-role/eks-hybrid", "service-role/eks-hybrid"),
    ("arn:aws-us-gov:iam::123456789012:role/h", "h"),
])
def test_role_arn_becomes_the_name_create_activation_wants(iam_role, expected):
    assert _ssm_activation.role_name_for_activation(iam_role) == expected


@pytest.mark.parametrize("iam_role", ["arn:aws:iam::123456789012:user/bob", "arn:aws:sts::1:assumed-role/x", "/x/"])
def test_non_role_values_are_refused(iam_role):
    with pytest.raises(ValueError):
        _ssm_activation.role_name_for_activation(iam_role)


def test_create_sends_name_limit_expiry_and_tags_and_returns_the_code_once(run_module, ssm):
    before = datetime.datetime.now(datetime.timezone.utc)
    ssm.add_response("create_activation", {"ActivationId": ACTIVATION_A, "ActivationCode": CODE}, {
        "IamRole": "eks-workshop-hybrid-nodes", "RegistrationLimit": 3, "ExpirationDate": ANY,
        "DefaultInstanceName": "eks-workshop-hybrid", "Description": "join run 42",
        "Tags": [{"Key": "EKSClusterARN", "Value": CLUSTER_TAG["EKSClusterARN"]}],
    })
    result = run_module(ssm_activation, dict(
        BASE_ARGS, iam_role="arn:aws:iam::123456789012:role/eks-workshop-hybrid-nodes", registration_limit=3,
        default_instance_name="eks-workshop-hybrid", description="join run 42", tags=CLUSTER_TAG)).result
    assert result["changed"] is True
    assert (result["activation_id"], result["iam_role"], result["registration_limit"]) == (
        ACTIVATION_A, "eks-workshop-hybrid-nodes", 3)
    expires = datetime.datetime.fromisoformat(result["expiration_date"])
    assert datetime.timedelta(hours=4) <= expires - before < datetime.timedelta(hours=4, minutes=1)
    assert result["activation_code"] == CODE


def test_create_retries_throttling(run_module, ssm):
    ssm.add_client_error("create_activation", service_error_code="ThrottlingException", http_status_code=400)
    ssm.add_client_error("create_activation", service_error_code="TooManyUpdates", http_status_code=400)
    ssm.add_response("create_activation", {"ActivationId": ACTIVATION_A, "ActivationCode": CODE})
    result = run_module(ssm_activation, dict(BASE_ARGS, iam_role="eks-workshop-hybrid-nodes")).result
    assert result["activation_id"] == ACTIVATION_A


@pytest.mark.parametrize("hours, accepted", [(720, True), (721, False), (0, False)])
def test_expiry_is_capped_at_30_days(run_module, ssm, hours, accepted):
    if accepted:
        ssm.add_response("create_activation", {"ActivationId": ACTIVATION_A, "ActivationCode": CODE})
    run = run_module(ssm_activation, dict(BASE_ARGS, iam_role="r", expiration_hours=hours))
    assert run.failed is not accepted
    if not accepted:
        assert run.result["msg"] == ("Failed to create SSM activation: expiration_hours must be between 1 and 720 "
                                     "(30 days, the CreateActivation limit), got %d" % hours)


def test_registration_limit_outside_1_to_1000_fails_without_calling_aws(run_module, ssm):
    run = run_module(ssm_activation, dict(BASE_ARGS, iam_role="r", registration_limit=1001))
    assert run.failed and "registration_limit must be between 1 and 1000" in run.result["msg"]


def test_check_mode_creates_nothing_and_returns_no_code(run_module, ssm):
    result = run_module(ssm_activation, dict(BASE_ARGS, iam_role="r"), check_mode=True).result
    assert result["changed"] is True
    assert "activation_code" not in result and "activation_id" not in result


def test_create_failure_reads_failed_to(run_module, ssm):
    ssm.add_client_error("create_activation", service_error_code="InvalidParameters", service_message="bad role",
                         http_status_code=400)
    run = run_module(ssm_activation, dict(BASE_ARGS, iam_role="missing-role"))
    assert run.failed and run.result["msg"].startswith("Failed to create SSM activation for role missing-role: ")


def test_absent_by_id_deletes_it(run_module, ssm):
    ssm.add_response("describe_activations", {"ActivationList": [activation(ACTIVATION_A)]},
                     {"Filters": [{"FilterKey": "ActivationIds", "FilterValues": [ACTIVATION_A]}]})
    ssm.add_response("delete_activation", {}, {"ActivationId": ACTIVATION_A})
    result = run_module(ssm_activation, dict(BASE_ARGS, state="absent", activation_id=ACTIVATION_A)).result
    assert result["changed"] is True and result["deleted_activation_ids"] == [ACTIVATION_A]


@pytest.mark.parametrize("describe_error", [None, "InvalidActivationId"])
def test_absent_when_already_gone_is_no_change(run_module, ssm, describe_error):
    if describe_error:
        ssm.add_client_error("describe_activations", service_error_code=describe_error, http_status_code=400)
    else:
        ssm.add_response("describe_activations", {"ActivationList": []})
    result = run_module(ssm_activation, dict(BASE_ARGS, state="absent", activation_id=ACTIVATION_A)).result
    assert result["changed"] is False and result["deleted_activation_ids"] == []


def test_absent_by_tags_pages_through_all_and_deletes_only_full_matches(run_module, ssm):
    ssm.add_response("describe_activations", {"ActivationList": [activation(ACTIVATION_A, CLUSTER_TAG)],
                                              "NextToken": "page-2"}, {})
    ssm.add_response("describe_activations", {"ActivationList": [
        activation(ACTIVATION_B, dict(CLUSTER_TAG, run="42")),
        activation("c0000000-0000-4000-8000-000000000003", {"EKSClusterARN": "another-cluster"}),
        activation("d0000000-0000-4000-8000-000000000004"),
    ]}, {"NextToken": "page-2"})
    ssm.add_response("delete_activation", {}, {"ActivationId": ACTIVATION_A})
    ssm.add_client_error("delete_activation", service_error_code="InvalidActivation", http_status_code=400,
                         expected_params={"ActivationId": ACTIVATION_B})
    result = run_module(ssm_activation, dict(BASE_ARGS, state="absent", tags=CLUSTER_TAG)).result
    assert result["changed"] is True
    assert result["deleted_activation_ids"] == [ACTIVATION_A], "one deleted by us, one vanished meanwhile"


def test_absent_in_check_mode_deletes_nothing(run_module, ssm):
    ssm.add_response("describe_activations", {"ActivationList": [activation(ACTIVATION_A, CLUSTER_TAG)]})
    result = run_module(ssm_activation, dict(BASE_ARGS, state="absent", tags=CLUSTER_TAG), check_mode=True).result
    assert result["changed"] is True and result["deleted_activation_ids"] == [ACTIVATION_A]


def test_absent_needs_an_id_or_tags(run_module, ssm):
    run = run_module(ssm_activation, dict(BASE_ARGS, state="absent"))
    assert run.failed and "activation_id, tags" in run.result["msg"]


def test_info_filters_server_side_and_by_tags_and_never_returns_codes(run_module, ssm):
    ssm.add_response("describe_activations", {"ActivationList": [
        activation(ACTIVATION_A, CLUSTER_TAG, limit=3, count=1), activation(ACTIVATION_B, {}, expired=True),
    ]}, {"Filters": [{"FilterKey": "IamRole", "FilterValues": ["eks-workshop-hybrid-nodes"]},
                     {"FilterKey": "DefaultInstanceName", "FilterValues": ["eks-workshop-hybrid"]}]})
    result = run_module(ssm_activation_info, dict(
        BASE_ARGS, iam_role="arn:aws:iam::123456789012:role/eks-workshop-hybrid-nodes",
        default_instance_name="eks-workshop-hybrid", tags=CLUSTER_TAG)).result
    assert result["changed"] is False
    assert result["activations"] == [{
        "activation_id": ACTIVATION_A, "description": "hybrid nodes", "default_instance_name": "eks-workshop-hybrid",
        "iam_role": "eks-workshop-hybrid-nodes", "registration_limit": 3, "registrations_count": 1,
        "registrations_remaining": 2, "expired": False, "expiration_date": "2026-12-04T19:00:00+00:00",
        "created_date": "2026-12-04T15:00:00+00:00", "tags": CLUSTER_TAG,
    }]
    assert "code" not in json.dumps(result).lower().replace("activation_code", "")


def test_info_by_ids(run_module, ssm):
    ssm.add_response("describe_activations", {"ActivationList": [activation(ACTIVATION_B)]},
                     {"Filters": [{"FilterKey": "ActivationIds", "FilterValues": [ACTIVATION_B]}]})
    result = run_module(ssm_activation_info, dict(BASE_ARGS, activation_ids=[ACTIVATION_B])).result
    assert [item["activation_id"] for item in result["activations"]] == [ACTIVATION_B]
