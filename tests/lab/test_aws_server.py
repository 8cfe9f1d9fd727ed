"""The lab's AWS (lab/aws/server.py) as boto3 sees it: SSM hybrid activations, EKS access entries,
the seeded workshop cluster, and the /_lab/ endpoints.

One server per module, on 127.0.0.1 and a free port, with fake credentials in the environment.
"""

import base64
import datetime
import json
import os
import socket
import subprocess
import sys
import urllib.request
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(REPO, "lab"), os.path.join(REPO, "lab", "aws")]

import labconfig  # noqa: E402
from testing import lab_aws, lab_request  # noqa: E402

KUBE_ENDPOINT = "https://127.0.0.1:16443"
FAKE_CA = b"-----BEGIN CERTIFICATE-----\nTUlJbGFi\n-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    ca_path = tmp_path_factory.mktemp("kube") / "ca.crt"
    ca_path.write_bytes(FAKE_CA)
    with lab_aws(str(ca_path), kube_endpoint=KUBE_ENDPOINT) as url:
        yield url


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


def client(endpoint, service, region=labconfig.REGION):
    return boto3.client(service, region_name=region, endpoint_url=endpoint,
                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def register(endpoint, activation_id, code, region=labconfig.REGION):
    """What amazon-ssm-agent -register sends: the agent's RegisterManagedInstance call, SigV4-scoped to region."""
    request = urllib.request.Request(
        endpoint + "/", method="POST",
        data=json.dumps({"ActivationId": activation_id, "ActivationCode": code, "Fingerprint": "f" * 32}).encode(),
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "AmazonSSM.RegisterManagedInstance",
                 "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIAREGISTER/20260101/{region}/ssm/aws4_request, "
                                  "SignedHeaders=host, Signature=0"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def new_activation(endpoint, **kwargs):
    arguments = {"IamRole": labconfig.HYBRID_ROLE_NAME, "RegistrationLimit": 1}
    arguments.update(kwargs)
    return client(endpoint, "ssm").create_activation(**arguments)


def describe_activation(endpoint, activation_id):
    listed = client(endpoint, "ssm").describe_activations(
        Filters=[{"FilterKey": "ActivationIds", "FilterValues": [activation_id]}])["ActivationList"]
    assert len(listed) == 1
    return listed[0]


def test_create_activation_returns_uuid_and_20_character_code(endpoint):
    created = new_activation(endpoint, DefaultInstanceName="edge", Description="lab",
                             Tags=[{"Key": "EKSClusterARN", "Value": "arn:aws:eks:x"}])
    assert uuid.UUID(created["ActivationId"])
    assert len(created["ActivationCode"]) == 20
    shown = describe_activation(endpoint, created["ActivationId"])
    assert shown["RegistrationLimit"] == 1
    assert shown["RegistrationsCount"] == 0
    assert shown["Expired"] is False
    assert shown["IamRole"] == labconfig.HYBRID_ROLE_NAME
    assert shown["DefaultInstanceName"] == "edge"
    assert {"Key": "EKSClusterARN", "Value": "arn:aws:eks:x"} in shown["Tags"]
    assert "ActivationCode" not in shown
    lifetime = shown["ExpirationDate"] - shown["CreatedDate"]
    assert datetime.timedelta(hours=23, minutes=59) < lifetime <= datetime.timedelta(hours=24)


@pytest.mark.parametrize("arguments, fragment", [
    ({"IamRole": labconfig.HYBRID_ROLE_ARN}, "not an ARN"),
    ({"RegistrationLimit": 1001}, "between 1 and 1000"),
    ({"ExpirationDate": datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=31)}, "30 days"),
    ({"IamRole": "no-such-role"}, "Nonexistent role"),
])
def test_create_activation_rejects_what_aws_rejects(endpoint, arguments, fragment):
    with pytest.raises(ClientError) as caught:
        new_activation(endpoint, **arguments)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert fragment in caught.value.response["Error"]["Message"]


def test_describe_activations_pages_with_next_token(endpoint):
    name = "paging-" + uuid.uuid4().hex[:6]
    created = {new_activation(endpoint, DefaultInstanceName=name)["ActivationId"] for _attempt in range(3)}
    ssm = client(endpoint, "ssm")
    filters = [{"FilterKey": "DefaultInstanceName", "FilterValues": [name]}]
    first = ssm.describe_activations(Filters=filters, MaxResults=2)
    second = ssm.describe_activations(Filters=filters, MaxResults=2, NextToken=first["NextToken"])
    assert len(first["ActivationList"]) == 2 and "NextToken" not in second
    assert {item["ActivationId"] for item in first["ActivationList"] + second["ActivationList"]} == created
    with pytest.raises(ClientError, match="between 1 and 50"):
        ssm.describe_activations(MaxResults=51)


def test_registration_consumes_the_limit_and_shows_up_as_managed_instance(endpoint):
    created = new_activation(endpoint, RegistrationLimit=2, DefaultInstanceName="edge-node",
                             Tags=[{"Key": "team", "Value": "edge"}])
    activation_id, code = created["ActivationId"], created["ActivationCode"]
    instance_ids = []
    for _attempt in range(2):
        status, answer = register(endpoint, activation_id, code)
        assert status == 200
        instance_ids.append(answer["InstanceId"])
    assert all(len(item) == 20 and item.startswith("mi-") and int(item[3:], 16) >= 0 for item in instance_ids)
    assert describe_activation(endpoint, activation_id)["RegistrationsCount"] == 2

    status, answer = register(endpoint, activation_id, code)
    assert (status, answer["__type"]) == (400, "ActivationLimitExceeded")
    assert describe_activation(endpoint, activation_id)["RegistrationsCount"] == 2

    ssm = client(endpoint, "ssm")
    listed = ssm.describe_instance_information(
        Filters=[{"Key": "ActivationIds", "Values": [activation_id]}])["InstanceInformationList"]
    assert sorted(item["InstanceId"] for item in listed) == sorted(instance_ids)
    first = listed[0]
    assert first["PingStatus"] == "Online"
    assert first["ResourceType"] == "ManagedInstance"
    assert first["IamRole"] == labconfig.HYBRID_ROLE_NAME
    assert first["PlatformName"] == "Ubuntu"
    assert first["IPAddress"] == "127.0.0.1"
    assert first["Name"] == "edge-node"
    by_tag = ssm.describe_instance_information(Filters=[{"Key": "tag:team", "Values": ["edge"]}])
    assert {item["InstanceId"] for item in by_tag["InstanceInformationList"]} >= set(instance_ids)
    tags = ssm.list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_ids[0])["TagList"]
    assert tags == [{"Key": "team", "Value": "edge"}]

    ssm.deregister_managed_instance(InstanceId=instance_ids[0])
    remaining = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": instance_ids}])["InstanceInformationList"]
    assert [item["InstanceId"] for item in remaining] == [instance_ids[1]]
    with pytest.raises(ClientError) as caught:
        ssm.deregister_managed_instance(InstanceId=instance_ids[0])
    assert caught.value.response["Error"]["Code"] == "InvalidInstanceId"


def test_registration_fails_for_wrong_code_wrong_region_and_expiry(endpoint):
    created = new_activation(endpoint)
    activation_id, code = created["ActivationId"], created["ActivationCode"]
    assert register(endpoint, activation_id, "x" * 20)[1]["__type"] == "InvalidActivation"
    assert register(endpoint, activation_id, code, region="eu-west-1")[1]["__type"] == "InvalidActivation"

    status, answer = lab_request(endpoint, "POST", f"/_lab/activations/{activation_id}/expire")
    assert status == 200, answer
    assert describe_activation(endpoint, activation_id)["Expired"] is True
    status, answer = register(endpoint, activation_id, code)
    assert (status, answer["__type"]) == (400, "ActivationExpired")
    assert describe_activation(endpoint, activation_id)["RegistrationsCount"] == 0
    assert lab_request(endpoint, "POST", f"/_lab/activations/{uuid.uuid4()}/expire")[0] == 404


def test_activation_lives_in_its_region(endpoint):
    created = new_activation(endpoint)
    other_region = client(endpoint, "ssm", region="eu-west-1")
    listed = other_region.describe_activations(
        Filters=[{"FilterKey": "ActivationIds", "FilterValues": [created["ActivationId"]]}])["ActivationList"]
    assert listed == []


def test_delete_activation_stops_registrations_but_keeps_instances(endpoint):
    created = new_activation(endpoint, RegistrationLimit=5)
    status, answer = register(endpoint, created["ActivationId"], created["ActivationCode"])
    assert status == 200
    ssm = client(endpoint, "ssm")
    ssm.delete_activation(ActivationId=created["ActivationId"])
    assert register(endpoint, created["ActivationId"], created["ActivationCode"])[1]["__type"] == "InvalidActivation"
    kept = ssm.describe_instance_information(Filters=[{"Key": "InstanceIds", "Values": [answer["InstanceId"]]}])
    assert len(kept["InstanceInformationList"]) == 1
    for unknown, code in ((str(uuid.uuid4()), "InvalidActivation"), ("not-a-uuid", "InvalidActivationId")):
        with pytest.raises(ClientError) as caught:
            ssm.delete_activation(ActivationId=unknown)
        assert caught.value.response["Error"]["Code"] == code


def test_state_endpoint_never_shows_activation_codes(endpoint):
    created = new_activation(endpoint)
    status, state = lab_request(endpoint, "GET", "/_lab/state")
    assert status == 200
    text = json.dumps(state)
    assert created["ActivationId"] in text
    assert created["ActivationCode"] not in text
    assert any(entry["type"] == "HYBRID_LINUX" for entry in state["eks_access_entries"])


def test_seeded_cluster_is_what_the_workshop_builds(endpoint, tmp_path):
    cluster = client(endpoint, "eks").describe_cluster(name=labconfig.CLUSTER_NAME)["cluster"]
    assert cluster["status"] == "ACTIVE"
    assert cluster["version"] == labconfig.CLUSTER_VERSION
    assert cluster["endpoint"] == KUBE_ENDPOINT
    assert base64.b64decode(cluster["certificateAuthority"]["data"]) == FAKE_CA
    assert cluster["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == labconfig.SERVICE_CIDR
    assert cluster["remoteNetworkConfig"] == {
        "remoteNodeNetworks": [{"cidrs": labconfig.REMOTE_NODE_NETWORKS}],
        "remotePodNetworks": [{"cidrs": labconfig.REMOTE_POD_NETWORKS}],
    }
    assert cluster["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
    vpc = client(endpoint, "ec2").describe_vpcs(VpcIds=[cluster["resourcesVpcConfig"]["vpcId"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == labconfig.VPC_CIDR


def test_seeded_hybrid_role_trusts_ssm_and_has_node_permissions(endpoint):
    iam = client(endpoint, "iam")
    role = iam.get_role(RoleName=labconfig.HYBRID_ROLE_NAME)["Role"]
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == labconfig.ACCOUNT_ID
    attached = {item["PolicyName"] for item in iam.list_attached_role_policies(
        RoleName=labconfig.HYBRID_ROLE_NAME)["AttachedPolicies"]}
    assert attached == {"AmazonSSMManagedInstanceCore", "AmazonEC2ContainerRegistryPullOnly"}
    inline_name = iam.list_role_policies(RoleName=labconfig.HYBRID_ROLE_NAME)["PolicyNames"][0]
    document = iam.get_role_policy(RoleName=labconfig.HYBRID_ROLE_NAME, PolicyName=inline_name)["PolicyDocument"]
    actions = {action for statement in document["Statement"] for action in statement["Action"]}
    assert {"eks:DescribeCluster", "eks:ListAccessEntries", "ssm:DeregisterManagedInstance",
            "ssm:DescribeInstanceInformation"} <= actions


def test_access_entries_lifecycle(endpoint):
    eks = client(endpoint, "eks")
    seeded = eks.describe_access_entry(clusterName=labconfig.CLUSTER_NAME, principalArn=labconfig.HYBRID_ROLE_ARN)
    assert seeded["accessEntry"]["type"] == "HYBRID_LINUX"
    assert seeded["accessEntry"]["username"] == "system:node:{{SessionName}}"

    principal = f"arn:aws:iam::{labconfig.ACCOUNT_ID}:role/path/other-nodes"
    created = eks.create_access_entry(clusterName=labconfig.CLUSTER_NAME, principalArn=principal,
                                      type="HYBRID_LINUX")["accessEntry"]
    assert created["principalArn"] == principal
    assert principal in eks.list_access_entries(clusterName=labconfig.CLUSTER_NAME)["accessEntries"]
    with pytest.raises(ClientError) as caught:
        eks.create_access_entry(clusterName=labconfig.CLUSTER_NAME, principalArn=principal, type="HYBRID_LINUX")
    assert caught.value.response["Error"]["Code"] == "ResourceInUseException"

    eks.delete_access_entry(clusterName=labconfig.CLUSTER_NAME, principalArn=principal)
    assert principal not in eks.list_access_entries(clusterName=labconfig.CLUSTER_NAME)["accessEntries"]
    with pytest.raises(ClientError) as caught:
        eks.describe_access_entry(clusterName=labconfig.CLUSTER_NAME, principalArn=principal)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_create_cluster_keeps_access_config_and_refuses_config_map_for_hybrid(endpoint):
    eks = client(endpoint, "eks")
    common = {"roleArn": f"arn:aws:iam::{labconfig.ACCOUNT_ID}:role/eks-workshop-cluster",
              "resourcesVpcConfig": {"subnetIds": []},
              "remoteNetworkConfig": {"remoteNodeNetworks": [{"cidrs": ["10.80.0.0/16"]}]}}
    with pytest.raises(ClientError, match="API_AND_CONFIG_MAP or API"):
        eks.create_cluster(name="config-map-only", accessConfig={"authenticationMode": "CONFIG_MAP"}, **common)
    eks.create_cluster(name="api-only", accessConfig={"authenticationMode": "API"}, **common)
    assert eks.describe_cluster(name="api-only")["cluster"]["accessConfig"]["authenticationMode"] == "API"


def test_faults_fail_the_next_calls_then_clear(endpoint):
    status, _body = lab_request(endpoint, "POST", "/_lab/faults", {
        "service": "ssm", "action": "CreateActivation", "error": "ThrottlingException", "count": 2})
    assert status == 200
    for _attempt in range(2):
        with pytest.raises(ClientError) as caught:
            new_activation(endpoint)
        assert caught.value.response["Error"]["Code"] == "ThrottlingException"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert uuid.UUID(new_activation(endpoint)["ActivationId"])
    assert lab_request(endpoint, "GET", "/_lab/faults")[1] == {"faults": []}


def test_faults_work_for_rest_and_query_services_and_reject_bad_bodies(endpoint):
    lab_request(endpoint, "POST", "/_lab/faults", {"service": "eks", "action": "DescribeCluster",
                                                   "error": "ServiceUnavailable"})
    lab_request(endpoint, "POST", "/_lab/faults", {"service": "iam", "action": "GetRole", "error": "Throttling"})
    with pytest.raises(ClientError) as caught:
        client(endpoint, "eks").describe_cluster(name=labconfig.CLUSTER_NAME)
    assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    with pytest.raises(ClientError) as caught:
        client(endpoint, "iam").get_role(RoleName=labconfig.HYBRID_ROLE_NAME)
    assert caught.value.response["Error"]["Code"] == "Throttling"
    status, answer = lab_request(endpoint, "POST", "/_lab/faults", {"service": "ssm", "count": 0})
    assert status == 400 and answer["error"].startswith("Failed to add fault")


def test_busy_port_fails_fast_with_a_clear_message(tmp_path):
    (tmp_path / "ca.crt").write_bytes(FAKE_CA)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, os.path.join(REPO, "lab", "aws", "server.py"), "--bind", "127.0.0.1", "--port", str(port),
             "--kube-ca", str(tmp_path / "ca.crt")], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1
    assert f"Failed to listen on 127.0.0.1:{port}" in result.stderr
