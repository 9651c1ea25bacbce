"""Reads AWS API shapes from botocore's service models (the models the AWS SDK for Python and SSM Automation's
aws:executeAwsApi are built on). Input: JSON on stdin, a list of {"service", "api"}; output: JSON on stdout, per
request the operation's input members, its required members and its output shape as a tree of member names
(lists as [element], maps as {"*": value}), or an "error"."""
import json
import sys

import botocore.session
from botocore.exceptions import UnknownServiceError
from botocore.model import ListShape, MapShape, StructureShape


def tree(shape, depth=0):
    if shape is None or depth > 8:
        return None
    if isinstance(shape, StructureShape):
        return {name: tree(member, depth + 1) for name, member in shape.members.items()}
    if isinstance(shape, ListShape):
        return [tree(shape.member, depth + 1)]
    if isinstance(shape, MapShape):
        return {"*": tree(shape.value, depth + 1)}
    return shape.type_name


session = botocore.session.get_session()
answers = []
for request in json.load(sys.stdin):
    try:
        model = session.get_service_model(request["service"])
    except UnknownServiceError:
        answers.append({"error": "no service %s" % request["service"]})
        continue
    if request["api"] not in model.operation_names:
        answers.append({"error": "service %s has no operation %s" % (request["service"], request["api"])})
        continue
    operation = model.operation_model(request["api"])
    input_shape = operation.input_shape
    answers.append(
        {
            "input": sorted(input_shape.members) if input_shape else [],
            "required": sorted(input_shape.required_members) if input_shape else [],
            "inputTypes": {name: member.type_name for name, member in input_shape.members.items()} if input_shape else {},
            "output": tree(operation.output_shape),
            "botocore": botocore.__version__,
        }
    )
json.dump(answers, sys.stdout)
