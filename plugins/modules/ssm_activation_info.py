#!/usr/bin/python
# -*- coding: utf-8 -*-

# Copyright: Contributors to the eks_hybrid.nodes collection
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ssm_activation_info
short_description: Describe AWS Systems Manager hybrid activations
version_added: 0.1.0
description:
  - Lists SSM hybrid activations with their registration limit, registrations used, expiry and tags, so that a
    play can decide whether an activation still has room and time for the hosts it is about to join.
  - Activation codes are never returned; AWS returns them only when an activation is created.
author:
  - eks_hybrid.nodes maintainers (@eks-hybrid)
options:
  activation_ids:
    description:
      - Only these activations. IDs SSM does not know are left out of the result.
    type: list
    elements: str
  tags:
    description:
      - Only activations that carry all of these tags with these values (filtered after describing, since
        DescribeActivations cannot filter by tag).
    type: dict
    aliases: [resource_tags]
  default_instance_name:
    description:
      - Only activations created with this default instance name.
    type: str
  iam_role:
    description:
      - Only activations for this IAM role, given as a name, a C(path/name) or an IAM role ARN.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - eks_hybrid.nodes.read_only
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  platform:
    support: full
    platforms: aws
notes:
  - All pages of DescribeActivations are read; throttling is retried with jittered exponential backoff.
seealso:
  - module: eks_hybrid.nodes.ssm_activation
"""

EXAMPLES = r"""
- name: Find the activations minted for a cluster
  eks_hybrid.nodes.ssm_activation_info:
    region: us-west-2
    tags:
      EKSClusterARN: arn:aws:eks:us-west-2:111122223333:cluster/my-cluster
  register: cluster_activations

- name: Show how many registrations are left on usable activations
  ansible.builtin.debug:
    msg: "{{ item.activation_id }}: {{ item.registrations_remaining }} left until {{ item.expiration_date }}"
  loop: "{{ cluster_activations.activations | rejectattr('expired') }}"
"""

RETURN = r"""
activations:
  description: The activations found.
  returned: always
  type: list
  elements: dict
  contains:
    activation_id:
      description: ID of the activation.
      type: str
      sample: 5743558d-563b-4457-8682-d16c3c1d63ac
    description:
      description: Description given at creation.
      type: str
      sample: hybrid nodes of my-cluster
    default_instance_name:
      description: Default name of the managed instances.
      type: str
      sample: my-cluster-hybrid
    iam_role:
      description: Role the registered machines assume.
      type: str
      sample: hybrid-nodes
    registration_limit:
      description: How many machines may register.
      type: int
      sample: 3
    registrations_count:
      description: How many machines have registered.
      type: int
      sample: 1
    registrations_remaining:
      description: RV(activations[].registration_limit) minus RV(activations[].registrations_count).
      type: int
      sample: 2
    expired:
      description: Whether the activation has expired.
      type: bool
      sample: false
    expiration_date:
      description: When the activation expires (ISO 8601).
      type: str
      sample: "2026-12-04T19:00:00+00:00"
    created_date:
      description: When the activation was created (ISO 8601).
      type: str
      sample: "2026-12-04T15:00:00+00:00"
    tags:
      description: Tags of the activation.
      type: dict
      sample: {EKSClusterARN: "arn:aws:eks:us-west-2:111122223333:cluster/my-cluster"}
"""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.eks_hybrid.nodes.plugins.module_utils import _ssm_activation


def main():
    argument_spec = dict(
        activation_ids=dict(type="list", elements="str"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        default_instance_name=dict(type="str"),
        iam_role=dict(type="str"),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    iam_role = params["iam_role"]
    if iam_role:
        try:
            iam_role = _ssm_activation.role_name_for_activation(iam_role)
        except ValueError as error:
            module.fail_json(msg="Failed to describe SSM activations: %s" % error)

    client = module.client("ssm", retry_decorator=_ssm_activation.ssm_retry)
    try:
        found = _ssm_activation.describe_activations(client, activation_ids=params["activation_ids"],
                                                     iam_role=iam_role,
                                                     default_instance_name=params["default_instance_name"])
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as error:
        module.fail_json_aws(error, msg="Failed to describe SSM activations")
    activations = [_ssm_activation.activation_summary(item) for item in found
                   if _ssm_activation.has_tags(item, params["tags"])]
    module.exit_json(changed=False, activations=activations)


if __name__ == "__main__":
    main()
