# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Shared logic of the SSM hybrid activation modules: role names, expiry, describing and shaping activations."""

import datetime
import re
from typing import Any, Dict, List, Optional

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.botocore import paginated_query_with_retries
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

MAX_EXPIRATION_HOURS = 720  # CreateActivation refuses an ExpirationDate more than 30 days ahead
MAX_REGISTRATION_LIMIT = 1000
NOT_FOUND_CODES = ["InvalidActivationId", "InvalidActivation"]
_IAM_ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/(?P<path_and_name>.+)$")

# SSM throttles with ThrottlingException (AWSRetry knows only "Throttling") and answers bursts of activation
# changes with TooManyUpdates; retry both.
ssm_retry = AWSRetry.jittered_backoff(retries=10, catch_extra_error_codes=["ThrottlingException", "TooManyUpdates"])


def role_name_for_activation(iam_role: str) -> str:
    """CreateActivation wants a role name or path/name; accept an IAM role ARN too and convert it."""
    if iam_role.startswith("arn:"):
        match = _IAM_ROLE_ARN_RE.match(iam_role)
        if not match:
            raise ValueError("%s is not an IAM role ARN (expected arn:aws:iam::<account-id>:role/<name>)" % iam_role)
        return match.group("path_and_name")
    if not iam_role or iam_role.startswith("/") or iam_role.endswith("/"):
        raise ValueError("%r is not an IAM role name or path/name" % iam_role)
    return iam_role


def expiration_date(hours: int, now: Optional[datetime.datetime] = None) -> datetime.datetime:
    """The ExpirationDate for an activation valid for ``hours``; ValueError outside 1..720 hours."""
    if not 1 <= hours <= MAX_EXPIRATION_HOURS:
        raise ValueError("expiration_hours must be between 1 and %d (30 days, the CreateActivation limit), got %d"
                         % (MAX_EXPIRATION_HOURS, hours))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now + datetime.timedelta(hours=hours)


def describe_activations(client, activation_ids: Optional[List[str]] = None, iam_role: Optional[str] = None,
                         default_instance_name: Optional[str] = None) -> List[Dict[str, Any]]:
    """All activations matching the server-side filters, every page, retried on throttling.

    An activation id SSM does not know yields an empty list rather than an error.
    """
    filters = []
    if activation_ids:
        filters.append({"FilterKey": "ActivationIds", "FilterValues": list(activation_ids)})
    if iam_role:
        filters.append({"FilterKey": "IamRole", "FilterValues": [iam_role]})
    if default_instance_name:
        filters.append({"FilterKey": "DefaultInstanceName", "FilterValues": [default_instance_name]})
    parameters = {"Filters": filters} if filters else {}
    try:
        result = paginated_query_with_retries(client, "describe_activations", retry_decorator=ssm_retry,
                                              **parameters)
    except is_boto3_error_code(NOT_FOUND_CODES):
        return []
    return result.get("ActivationList", [])


def has_tags(activation: Dict[str, Any], wanted: Optional[Dict[str, str]]) -> bool:
    """True when the raw activation carries every wanted tag with the wanted value."""
    if not wanted:
        return True
    tags = boto3_tag_list_to_ansible_dict(activation.get("Tags") or [])
    return all(tags.get(key) == str(value) for key, value in wanted.items())


def _iso(moment: Any) -> Optional[str]:
    return moment.isoformat() if isinstance(moment, datetime.datetime) else moment


def activation_summary(activation: Dict[str, Any]) -> Dict[str, Any]:
    """A described activation in snake_case with tags as a dict (DescribeActivations never returns codes)."""
    limit = activation.get("RegistrationLimit")
    count = activation.get("RegistrationsCount")
    remaining = limit - count if isinstance(limit, int) and isinstance(count, int) else None
    return {
        "activation_id": activation.get("ActivationId"),
        "description": activation.get("Description"),
        "default_instance_name": activation.get("DefaultInstanceName"),
        "iam_role": activation.get("IamRole"),
        "registration_limit": limit,
        "registrations_count": count,
        "registrations_remaining": remaining,
        "expired": activation.get("Expired"),
        "expiration_date": _iso(activation.get("ExpirationDate")),
        "created_date": _iso(activation.get("CreatedDate")),
        "tags": boto3_tag_list_to_ansible_dict(activation.get("Tags") or []),
    }
