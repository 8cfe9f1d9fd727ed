#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_activation
short_description: Create or delete AWS Systems Manager hybrid activations for EKS hybrid nodes
version_added: 0.1.0
description:
  - Creates an AWS Systems Manager (SSM) hybrid activation that lets on-premises machines register as managed
    instances (C(mi-...)) and obtain credentials for the Hybrid Nodes IAM role, or deletes activations.
  - With O(state=present) a B(new) activation is created on every run and the task always reports a change.
    The activation code exists only in the CreateActivation response; an existing activation cannot hand out
    its code again, so there is nothing to reuse. Callers guard the task instead; the collection's join
    playbook mints an activation only when some hosts still need to register, sized to that number of hosts,
    and deletes it at the end of the run.
  - With O(state=absent) the activation given by O(activation_id), or every activation carrying all of
    O(tags), is deleted. Deleting an activation stops further registrations only; managed instances already
    registered with it stay registered.
author:
  - eks_hybrid.nodes maintainers (@eks-hybrid)
options:
  state:
    description:
      - V(present) creates a new activation.
      - V(absent) deletes activations selected by O(activation_id) and/or O(tags). Activations that do not
        exist are not a change.
    type: str
    choices: [present, absent]
    default: present
  iam_role:
    description:
      - The IAM role the registered machines assume (the Hybrid Nodes role), as a role name, a C(path/name),
        or an IAM role ARN. An ARN is converted to C(path/name) because CreateActivation does not take ARNs.
      - Required with O(state=present).
    type: str
  registration_limit:
    description:
      - How many machines may register with the activation, between V(1) and V(1000).
      - Size it to the number of hosts that still need to register; every C(nodeadm uninstall) followed by
        C(nodeadm init) consumes a new registration.
    type: int
    default: 1
  expiration_hours:
    description:
      - Hours until the activation expires, at most V(720) (30 days, the limit of CreateActivation).
      - Short lifetimes limit the damage of a leaked code; the default covers one join run.
    type: int
    default: 4
  default_instance_name:
    description:
      - Name given to the managed instances registered with this activation (up to 256 characters).
    type: str
  description:
    description:
      - Free text description of the activation (up to 256 characters).
    type: str
  tags:
    description:
      - With O(state=present), tags added to the new activation, for example C(EKSClusterARN).
        The Hybrid Nodes role can scope C(ssm:DeregisterManagedInstance) to such a tag.
      - With O(state=absent), delete every activation that carries all of these tags with these values.
    type: dict
    aliases: [resource_tags]
  activation_id:
    description:
      - ID of the activation to delete with O(state=absent). Combined with O(tags), it is deleted only when it
        also carries those tags.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    support: full
    details: With O(state=present) reports a change without creating anything or returning a code.
  diff_mode:
    support: none
  platform:
    support: full
    platforms: aws
notes:
  - The result of O(state=present) holds the activation code. Run the task with C(no_log=true) and never
    store the registered result in files, facts caches or job artifacts.
  - Throttling and C(TooManyUpdates) errors are retried with jittered exponential backoff.
  - Create the activation in the region of the EKS cluster; nodeadm registers nodes in C(spec.cluster.region).
seealso:
  - module: eks_hybrid.nodes.ssm_activation_info
  - module: eks_hybrid.nodes.nodeconfig_render
  - name: CreateActivation API reference
    description: Limits of SSM hybrid activations.
    link: https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateActivation.html
"""

EXAMPLES = r"""
- name: Mint an activation for the hosts that still need to register
  eks_hybrid.nodes.ssm_activation:
    region: us-west-2
    iam_role: arn:aws:iam::111122223333:role/hybrid-nodes
    registration_limit: "{{ hosts_to_register | length }}"
    expiration_hours: 2
    default_instance_name: my-cluster-hybrid
    tags:
      EKSClusterARN: arn:aws:eks:us-west-2:111122223333:cluster/my-cluster
  register: activation
  no_log: true

- name: Delete the activation after the run
  eks_hybrid.nodes.ssm_activation:
    region: us-west-2
    state: absent
    activation_id: "{{ activation.activation_id }}"

- name: Delete every activation minted for the cluster
  eks_hybrid.nodes.ssm_activation:
    region: us-west-2
    state: absent
    tags:
      EKSClusterARN: arn:aws:eks:us-west-2:111122223333:cluster/my-cluster
"""

RETURN = r"""
activation_id:
  description: ID of the new activation (the C(ssm.activationId) of a NodeConfig).
  returned: when O(state=present), except in check mode
  type: str
  sample: 5743558d-563b-4457-8682-d16c3c1d63ac
activation_code:
  description: Code of the new activation (the C(ssm.activationCode) of a NodeConfig). A secret, returned once.
  returned: when O(state=present), except in check mode
  type: str
  sample: EXAMPLEexampleEXAMPLEcode
expiration_date:
  description: When the activation expires (ISO 8601, UTC).
  returned: when O(state=present)
  type: str
  sample: "2026-12-04T19:00:00+00:00"
registration_limit:
  description: How many machines may register with the activation.
  returned: when O(state=present)
  type: int
  sample: 3
iam_role:
  description: The role name (or C(path/name)) the activation was created with.
  returned: when O(state=present)
  type: str
  sample: hybrid-nodes
deleted_activation_ids:
  description: IDs of the activations deleted (or that would be deleted in check mode).
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [5743558d-563b-4457-8682-d16c3c1d63ac]
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _ssm_activation


def create_activation(module, client):
    params = module.params
    try:
        role = _ssm_activation.role_name_for_activation(params["iam_role"])
        expires = _ssm_activation.expiration_date(params["expiration_hours"])
    except ValueError as error:
        module.fail_json(msg="Failed to create SSM activation: %s" % error)
    limit = params["registration_limit"]
    if not 1 <= limit <= _ssm_activation.MAX_REGISTRATION_LIMIT:
        module.fail_json(msg="Failed to create SSM activation: registration_limit must be between 1 and %d, got %d"
                         % (_ssm_activation.MAX_REGISTRATION_LIMIT, limit))
    result = dict(changed=True, iam_role=role, registration_limit=limit, expiration_date=expires.isoformat())
    if module.check_mode:
        module.exit_json(**result)

    request = dict(IamRole=role, RegistrationLimit=limit, ExpirationDate=expires)
    for option, key in (("default_instance_name", "DefaultInstanceName"), ("description", "Description")):
        if params[option] is not None:
            request[key] = params[option]
    if params["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(params["tags"])
    try:
        response = client.create_activation(aws_retry=True, **request)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to create SSM activation for role %s" % role)
    result.update(activation_id=response["ActivationId"], activation_code=response["ActivationCode"])
    module.exit_json(**result)


def delete_activations(module, client):
    activation_id = module.params["activation_id"]
    tags = module.params["tags"]
    try:
        activations = _ssm_activation.describe_activations(client, [activation_id] if activation_id else None)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to describe SSM activations")
    doomed = [item["ActivationId"] for item in activations if _ssm_activation.has_tags(item, tags)]
    deleted = []
    for doomed_id in doomed:
        if not module.check_mode:
            try:
                client.delete_activation(aws_retry=True, ActivationId=doomed_id)
            except is_boto3_error_code(_ssm_activation.NOT_FOUND_CODES):
                continue  # deleted by someone else meanwhile: the wanted state holds
            except (botocore.exceptions.ClientError,  # pylint: disable=duplicate-except
                    botocore.exceptions.BotoCoreError) as error:
                module.fail_json_aws(error, msg="Failed to delete SSM activation %s" % doomed_id,
                                     deleted_activation_ids=deleted)
        deleted.append(doomed_id)
    module.exit_json(changed=bool(deleted), deleted_activation_ids=deleted)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        iam_role=dict(type="str"),
        registration_limit=dict(type="int", default=1),
        expiration_hours=dict(type="int", default=4),
        default_instance_name=dict(type="str"),
        description=dict(type="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        activation_id=dict(type="str", no_log=False),
    )
    module = AnsibleAWSModule(
        argument_spec=argument_spec,
        required_if=[
            ("state", "present", ["iam_role"]),
            ("state", "absent", ["activation_id", "tags"], True),
        ],
        supports_check_mode=True,
    )
    client = module.client("ssm", retry_decorator=_ssm_activation.ssm_retry)
    if module.params["state"] == "present":
        create_activation(module, client)
    else:
        delete_activations(module, client)


if __name__ == "__main__":
    main()
