"""SSM hybrid activations and managed instances, added to moto's SSM service for the lab.

moto 5.2.5 has no hybrid activations. This module keeps them, per account and region, next to
moto's own SSM backend and teaches moto's SSM response class the calls that use them:

- the public API: CreateActivation, DescribeActivations, DeleteActivation,
  DescribeInstanceInformation, DeregisterManagedInstance, and tags on the resource types
  ``Activation`` and ``ManagedInstance`` (AddTagsToResource, RemoveTagsFromResource,
  ListTagsForResource; every other resource type still goes to moto);
- the SSM agent's own calls: RegisterManagedInstance (what ``amazon-ssm-agent -register`` sends;
  the activation id and code are the proof of identity, one registration is consumed) and
  UpdateInstanceInformation (the agent's heartbeat with host name, address and platform).

An activation lives in the region the request is addressed to (moto reads it from the SigV4
credential scope), as on AWS: registering in another region reports ``InvalidActivation``.
Activation codes are handed out once by CreateActivation and never appear in any other response
or log line.
"""

from __future__ import annotations

import base64
import datetime
import json
import re
import secrets
import string
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.iam.models import iam_backends
from moto.ssm.models import ssm_backends
from moto.ssm.responses import SimpleSystemManagerResponse

MAX_EXPIRY = datetime.timedelta(days=30)
DEFAULT_EXPIRY = datetime.timedelta(hours=24)
ACTIVATION_CODE_LENGTH = 20
ACTIVATION_CODE_ALPHABET = string.ascii_letters + string.digits
ACTIVATION_ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
INSTANCE_ID_PATTERN = re.compile(r"^mi-[0-9a-f]{17}$")
ACTIVATION_FILTER_KEYS = ("ActivationIds", "DefaultInstanceName", "IamRole")
INSTANCE_FILTER_KEYS = ("InstanceIds", "ActivationIds", "IamRole", "PingStatus", "ResourceType", "PlatformTypes",
                        "AgentVersion")
LAB_AGENT_VERSION = "3.3.1142.0"
SSM_SERVICE_PRINCIPAL = "ssm.amazonaws.com"

_lock = threading.RLock()


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def validation_error(message: str) -> JsonRESTError:
    return JsonRESTError("ValidationException", message)


@dataclass
class Activation:
    activation_id: str
    activation_code: str
    iam_role: str
    registration_limit: int
    expiration_date: datetime.datetime
    created_date: datetime.datetime
    default_instance_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    registrations_count: int = 0

    @property
    def expired(self) -> bool:
        return utcnow() >= self.expiration_date

    def describe(self) -> dict[str, Any]:
        """The public view of the activation: everything but the code."""
        view: dict[str, Any] = {
            "ActivationId": self.activation_id,
            "IamRole": self.iam_role,
            "RegistrationLimit": self.registration_limit,
            "RegistrationsCount": self.registrations_count,
            "ExpirationDate": self.expiration_date,
            "Expired": self.expired,
            "CreatedDate": self.created_date,
            "Tags": tag_list(self.tags),
        }
        if self.default_instance_name is not None:
            view["DefaultInstanceName"] = self.default_instance_name
        if self.description is not None:
            view["Description"] = self.description
        return view


@dataclass
class ManagedInstance:
    instance_id: str
    activation_id: str
    iam_role: str
    registration_date: datetime.datetime
    name: str | None
    ip_address: str | None
    computer_name: str | None
    tags: dict[str, str] = field(default_factory=dict)
    platform_name: str = "Ubuntu"
    platform_version: str = "24.04"
    agent_version: str = LAB_AGENT_VERSION
    last_ping: datetime.datetime = field(default_factory=utcnow)
    public_key: str | None = None

    def describe(self) -> dict[str, Any]:
        view: dict[str, Any] = {
            "InstanceId": self.instance_id,
            "PingStatus": "Online",
            "LastPingDateTime": self.last_ping,
            "AgentVersion": self.agent_version,
            "IsLatestVersion": True,
            "PlatformType": "Linux",
            "PlatformName": self.platform_name,
            "PlatformVersion": self.platform_version,
            "ActivationId": self.activation_id,
            "IamRole": self.iam_role,
            "RegistrationDate": self.registration_date,
            "ResourceType": "ManagedInstance",
            "SourceId": self.instance_id,
            "SourceType": "AWS::SSM::ManagedInstance",
        }
        optional = {"Name": self.name, "IPAddress": self.ip_address, "ComputerName": self.computer_name}
        view.update({key: value for key, value in optional.items() if value is not None})
        return view


@dataclass
class HybridStore:
    """Activations and managed instances of one account in one region."""

    account_id: str
    region: str
    activations: dict[str, Activation] = field(default_factory=dict)
    instances: dict[str, ManagedInstance] = field(default_factory=dict)
    # Deleted activations stay visible to the lab's tests (never to the API), to audit what a run minted.
    deleted_activations: dict[str, Activation] = field(default_factory=dict)


def store_for(account_id: str, region: str) -> HybridStore:
    """The store kept on moto's SSM backend, so that moto's reset clears it too."""
    backend = ssm_backends[account_id][region]
    with _lock:
        store = getattr(backend, "lab_hybrid_store", None)
        if store is None:
            store = HybridStore(account_id=account_id, region=region)
            backend.lab_hybrid_store = store
        return store


def all_stores() -> list[HybridStore]:
    """Every store created so far, for the lab's state endpoint."""
    stores = []
    with _lock:
        for _account_id, regions in ssm_backends.items():
            for _region, backend in regions.items():
                store = getattr(backend, "lab_hybrid_store", None)
                if store is not None:
                    stores.append(store)
    return stores


def tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def tags_from_request(raw_tags: list[dict[str, str]] | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    for tag in raw_tags or []:
        if "Key" not in tag or "Value" not in tag:
            raise validation_error("Each tag must have a Key and a Value")
        tags[tag["Key"]] = tag["Value"]
    return tags


def parse_timestamp(value: Any) -> datetime.datetime:
    """Accept what botocore sends for a JSON timestamp: epoch seconds, or ISO 8601 text."""
    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
    try:
        parsed = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.datetime.fromtimestamp(float(value), tz=datetime.timezone.utc)
        except ValueError:
            raise validation_error(f"Invalid ExpirationDate: {value}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def check_iam_role(account_id: str, iam_role: str) -> None:
    """Refuse what AWS refuses: an ARN, an unknown role, a role that SSM may not assume."""
    if not iam_role:
        raise validation_error("1 validation error detected: Value null at 'iamRole' failed to satisfy constraint: "
                               "Member must not be null")
    if iam_role.startswith("arn:"):
        raise validation_error(f"1 validation error detected: Value '{iam_role}' at 'iamRole' failed to satisfy "
                               "constraint: IamRole must be a role name or path/name, not an ARN")
    role_name = iam_role.rsplit("/", 1)[-1]
    iam_backend = iam_backends[account_id]["global"]
    role = next((candidate for candidate in iam_backend.roles.values() if candidate.name == role_name), None)
    if role is None or SSM_SERVICE_PRINCIPAL not in (role.assume_role_policy_document or ""):
        raise validation_error(f"Nonexistent role or missing ssm service principal in trust policy: {iam_role}")


def paginate(items: list[Any], max_results: int, next_token: str | None) -> tuple[list[Any], str | None]:
    """Slice a list the way SSM pages do, with an opaque token holding the next index."""
    start = 0
    if next_token:
        try:
            start = int(base64.urlsafe_b64decode(next_token.encode()).decode())
        except ValueError:
            raise JsonRESTError("InvalidNextToken", "The specified token isn't valid.") from None
        if start < 0 or start > len(items):
            raise JsonRESTError("InvalidNextToken", "The specified token isn't valid.")
    end = start + max_results
    token = base64.urlsafe_b64encode(str(end).encode()).decode() if end < len(items) else None
    return items[start:end], token


def max_results_param(value: Any, lowest: int, highest: int, default: int) -> int:
    if value is None:
        return default
    number = int(value)
    if not lowest <= number <= highest:
        raise validation_error(f"1 validation error detected: Value '{number}' at 'maxResults' failed to satisfy "
                               f"constraint: Member must have value between {lowest} and {highest}")
    return number


def new_instance_id() -> str:
    return "mi-" + secrets.token_hex(9)[:17]


# ---------------------------------------------------------------------------------------------
# Methods added to moto's SimpleSystemManagerResponse. moto calls the method named after the
# action in X-Amz-Target (CamelCase -> snake_case); self.region and self.current_account come
# from the request.
# ---------------------------------------------------------------------------------------------

def create_activation(self: SimpleSystemManagerResponse) -> ActionResult:
    iam_role = self._get_param("IamRole")
    check_iam_role(self.current_account, iam_role)
    limit = self._get_param("RegistrationLimit", 1)
    if not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise validation_error(f"1 validation error detected: Value '{limit}' at 'registrationLimit' failed to "
                               "satisfy constraint: Member must have value between 1 and 1000")
    now = utcnow()
    raw_expiry = self._get_param("ExpirationDate")
    expiration = now + DEFAULT_EXPIRY if raw_expiry is None else parse_timestamp(raw_expiry)
    if expiration <= now:
        raise validation_error("ExpirationDate must be in the future")
    if expiration > now + MAX_EXPIRY:
        raise validation_error("ExpirationDate must be no more than 30 days from the current time")
    default_name = self._get_param("DefaultInstanceName")
    if default_name is not None and len(default_name) > 256:
        raise validation_error("DefaultInstanceName must be at most 256 characters")
    description = self._get_param("Description")
    if description is not None and len(description) > 256:
        raise validation_error("Description must be at most 256 characters")
    activation = Activation(
        activation_id=str(uuid.uuid4()),
        activation_code="".join(secrets.choice(ACTIVATION_CODE_ALPHABET) for _ in range(ACTIVATION_CODE_LENGTH)),
        iam_role=iam_role,
        registration_limit=limit,
        expiration_date=expiration,
        created_date=now,
        default_instance_name=default_name,
        description=description,
        tags=tags_from_request(self._get_param("Tags")),
    )
    store = store_for(self.current_account, self.region)
    with _lock:
        store.activations[activation.activation_id] = activation
    return ActionResult({"ActivationId": activation.activation_id, "ActivationCode": activation.activation_code})


def describe_activations(self: SimpleSystemManagerResponse) -> ActionResult:
    filters = self._get_param("Filters") or []
    max_results = max_results_param(self._get_param("MaxResults"), 1, 50, 50)
    for activation_filter in filters:
        if activation_filter.get("FilterKey") not in ACTIVATION_FILTER_KEYS:
            raise validation_error(f"1 validation error detected: Value '{activation_filter.get('FilterKey')}' at "
                                   "'filters.1.member.filterKey' failed to satisfy constraint: Member must satisfy "
                                   f"enum value set: {list(ACTIVATION_FILTER_KEYS)}")
    attribute_by_key = {"ActivationIds": "activation_id", "DefaultInstanceName": "default_instance_name",
                        "IamRole": "iam_role"}
    store = store_for(self.current_account, self.region)
    with _lock:
        matching = [
            activation for activation in sorted(store.activations.values(), key=lambda item: item.created_date)
            if all(getattr(activation, attribute_by_key[item["FilterKey"]]) in item.get("FilterValues", [])
                   for item in filters)
        ]
        page, token = paginate(matching, max_results, self._get_param("NextToken"))
        result: dict[str, Any] = {"ActivationList": [activation.describe() for activation in page]}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def find_activation(self: SimpleSystemManagerResponse, activation_id: str | None) -> Activation:
    if not activation_id or not ACTIVATION_ID_PATTERN.match(activation_id):
        raise JsonRESTError("InvalidActivationId", f"The activation ID is not valid: {activation_id}")
    activation = store_for(self.current_account, self.region).activations.get(activation_id)
    if activation is None:
        raise JsonRESTError("InvalidActivation", f"Activation {activation_id} does not exist in {self.region}")
    return activation


def delete_activation(self: SimpleSystemManagerResponse) -> ActionResult:
    activation_id = self._get_param("ActivationId")
    with _lock:
        find_activation(self, activation_id)
        store = store_for(self.current_account, self.region)
        store.deleted_activations[activation_id] = store.activations.pop(activation_id)
    return EmptyResult()


def register_managed_instance(self: SimpleSystemManagerResponse) -> str:
    """The agent's registration: the activation pair in, one new managed instance id out."""
    activation_id = self._get_param("ActivationId")
    activation_code = self._get_param("ActivationCode")
    if not activation_id or not activation_code:
        raise validation_error("ActivationId and ActivationCode are required")
    with _lock:
        store = store_for(self.current_account, self.region)
        activation = store.activations.get(activation_id)
        if activation is None or not secrets.compare_digest(activation.activation_code, activation_code):
            raise JsonRESTError("InvalidActivation", "Activation ID or code is not valid in this region")
        if activation.expired:
            raise JsonRESTError("ActivationExpired", f"Activation {activation_id} has expired")
        if activation.registrations_count >= activation.registration_limit:
            raise JsonRESTError("ActivationLimitExceeded",
                                f"Activation {activation_id} has reached its registration limit "
                                f"of {activation.registration_limit}")
        activation.registrations_count += 1
        instance = ManagedInstance(
            instance_id=new_instance_id(),
            activation_id=activation_id,
            iam_role=activation.iam_role,
            registration_date=utcnow(),
            name=activation.default_instance_name,
            ip_address=self.normalized_request.remote_addr,
            computer_name=None,
            tags=dict(activation.tags),
            public_key=self._get_param("PublicKey"),
        )
        store.instances[instance.instance_id] = instance
    return json.dumps({"InstanceId": instance.instance_id})


def update_instance_information(self: SimpleSystemManagerResponse) -> str:
    """The agent's heartbeat: what the host says about itself."""
    instance = find_instance(self, self._get_param("InstanceId"))
    reported = {"ComputerName": "computer_name", "IPAddress": "ip_address", "PlatformName": "platform_name",
                "PlatformVersion": "platform_version", "AgentVersion": "agent_version"}
    with _lock:
        for param, attribute in reported.items():
            value = self._get_param(param)
            if value:
                setattr(instance, attribute, value)
        instance.last_ping = utcnow()
    return json.dumps({})


def find_instance(self: SimpleSystemManagerResponse, instance_id: str | None) -> ManagedInstance:
    instance = store_for(self.current_account, self.region).instances.get(instance_id or "")
    if instance is None:
        raise JsonRESTError("InvalidInstanceId", f"Instance Id {instance_id} is not valid")
    return instance


def instance_matches(instance: ManagedInstance, key: str, values: list[str]) -> bool:
    if key.startswith("tag:"):
        return instance.tags.get(key[4:]) in values
    if key == "tag-key":
        return any(tag_key in values for tag_key in instance.tags)
    actual = {
        "InstanceIds": instance.instance_id,
        "ActivationIds": instance.activation_id,
        "IamRole": instance.iam_role,
        "PingStatus": "Online",
        "ResourceType": "ManagedInstance",
        "PlatformTypes": "Linux",
        "AgentVersion": instance.agent_version,
    }[key]
    return actual in values


def describe_instance_information(self: SimpleSystemManagerResponse) -> ActionResult:
    conditions: list[tuple[str, list[str]]] = []
    for item in self._get_param("InstanceInformationFilterList") or []:
        conditions.append((item.get("key", ""), item.get("valueSet", [])))
    for item in self._get_param("Filters") or []:
        conditions.append((item.get("Key", ""), item.get("Values", [])))
    for key, values in conditions:
        if not (key in INSTANCE_FILTER_KEYS or key.startswith("tag:") or key == "tag-key"):
            raise JsonRESTError("InvalidInstanceInformationFilterValue", f"Unsupported filter key: {key}")
        if not 1 <= len(values) <= 100:
            raise JsonRESTError("InvalidInstanceInformationFilterValue",
                                f"Filter {key} needs between 1 and 100 values")
    max_results = max_results_param(self._get_param("MaxResults"), 5, 50, 50)
    store = store_for(self.current_account, self.region)
    with _lock:
        matching = [
            instance for instance in sorted(store.instances.values(), key=lambda item: item.registration_date)
            if all(instance_matches(instance, key, values) for key, values in conditions)
        ]
        page, token = paginate(matching, max_results, self._get_param("NextToken"))
        result: dict[str, Any] = {"InstanceInformationList": [instance.describe() for instance in page]}
    if token:
        result["NextToken"] = token
    return ActionResult(result)


def deregister_managed_instance(self: SimpleSystemManagerResponse) -> ActionResult:
    instance_id = self._get_param("InstanceId")
    if not instance_id or not INSTANCE_ID_PATTERN.match(instance_id):
        raise JsonRESTError("InvalidInstanceId", f"Instance Id {instance_id} is not valid")
    with _lock:
        find_instance(self, instance_id)
        del store_for(self.current_account, self.region).instances[instance_id]
    return EmptyResult()


def hybrid_tags(self: SimpleSystemManagerResponse) -> dict[str, str] | None:
    """The tag dict of the Activation or ManagedInstance a tagging call names, None for other types."""
    resource_type = self._get_param("ResourceType")
    resource_id = self._get_param("ResourceId")
    if resource_type == "ManagedInstance":
        return find_instance(self, resource_id).tags
    if resource_type == "Activation":
        return find_activation(self, resource_id).tags
    return None


def wrap_tagging(original: Callable[[SimpleSystemManagerResponse], ActionResult],
                 handle: Callable[[SimpleSystemManagerResponse, dict[str, str]], ActionResult]) -> Callable:
    def method(self: SimpleSystemManagerResponse) -> ActionResult:
        with _lock:
            tags = hybrid_tags(self)
            if tags is None:
                return original(self)
            return handle(self, tags)

    method.__name__ = original.__name__
    return method


def _add_tags(self: SimpleSystemManagerResponse, tags: dict[str, str]) -> ActionResult:
    tags.update(tags_from_request(self._get_param("Tags")))
    return EmptyResult()


def _remove_tags(self: SimpleSystemManagerResponse, tags: dict[str, str]) -> ActionResult:
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    return EmptyResult()


def _list_tags(_self: SimpleSystemManagerResponse, tags: dict[str, str]) -> ActionResult:
    return ActionResult({"TagList": tag_list(tags)})


def state() -> list[dict[str, Any]]:
    """Activations (without codes) and managed instances of every account and region, as JSON-able data."""
    def plain(view: dict[str, Any]) -> dict[str, Any]:
        return {key: value.isoformat() if isinstance(value, datetime.datetime) else value
                for key, value in view.items()}

    with _lock:
        return [
            {
                "account_id": store.account_id,
                "region": store.region,
                "activations": [plain(activation.describe()) for activation in store.activations.values()],
                "managed_instances": [plain(instance.describe()) for instance in store.instances.values()],
                "deleted_activations": [plain(activation.describe()) for activation in
                                        store.deleted_activations.values()],
            }
            for store in all_stores()
        ]


def expire_activation(activation_id: str) -> bool:
    """Make an activation expired now, in whichever account and region holds it. False if none does."""
    with _lock:
        for store in all_stores():
            activation = store.activations.get(activation_id)
            if activation is not None:
                activation.expiration_date = utcnow() - datetime.timedelta(seconds=1)
                return True
    return False


def install() -> None:
    """Add the hybrid calls to moto's SSM response class. Call once, before any server starts."""
    response_class = SimpleSystemManagerResponse
    for method in (create_activation, describe_activations, delete_activation, register_managed_instance,
                   update_instance_information, describe_instance_information, deregister_managed_instance):
        setattr(response_class, method.__name__, method)
    response_class.add_tags_to_resource = wrap_tagging(response_class.add_tags_to_resource, _add_tags)
    response_class.remove_tags_from_resource = wrap_tagging(response_class.remove_tags_from_resource, _remove_tags)
    response_class.list_tags_for_resource = wrap_tagging(response_class.list_tags_for_resource, _list_tags)
