#!/usr/bin/env python3
"""Generate src/scenario/schema/fields.txt: the valid fields of the Kubernetes
kinds kubesim reads, so that it can reject unknown fields the way
`kubectl --validate=strict` does.

Sources (both generated from upstream's Kubernetes v1.34 OpenAPI spec):
  * kubernetes==34.1.0 (the official Python client): every model class in
    kubernetes.client.models has `openapi_types` (python attr -> type string,
    e.g. 'list[V1Container]', 'dict(str, str)', 'object') and `attribute_map`
    (python attr -> JSON field name). This gives the structure.
  * kubernetes-validate==1.37.0: ships the v1.34.0 JSON schemas with upstream's
    $refs intact. The Python client flattens IntOrString to 'object' and
    Quantity to 'str'; the $refs tell them apart. The walk also checks that
    both sources agree on every field and type, and fails if they do not.

Usage (from the repository root; needs no network once the venv exists):
  python3 -m venv /tmp/k8svenv
  /tmp/k8svenv/bin/pip install kubernetes==34.1.0 kubernetes-validate==1.37.0
  /tmp/k8svenv/bin/python tools/openapi_fields.py

Output format (line-oriented, sorted, deterministic):
  # comment
  kind <apiVersion> <Kind> <Type>     one per root kind
  type <Type>                         then its fields, one a line:
   <jsonField> <ref>                  (leading space)
  <ref> is a type name, or a scalar: string int bool number time any
  intorstring quantity; `[]X` is a list of X, `{}X` a map string -> X,
  nested as in `{}[]string`. `any` is free-form (nothing beneath is checked).
Only the types reachable from the root kinds are written.
"""
import json
import os
import re
import sys

import kubernetes
import kubernetes.client.models as models
import kubernetes_validate

K8S_VERSION = "v1.34.0"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                   "src", "scenario", "schema", "fields.txt")

# (apiVersion, kind). "v1 List" is not here: upstream's spec has no List
# schema (kubectl handles it client-side) and the client has no V1List.
ROOTS = [
    ("v1", k) for k in (
        "Pod Node Namespace Service PersistentVolume PersistentVolumeClaim "
        "ReplicationController ResourceQuota LimitRange ConfigMap Secret "
        "ServiceAccount Endpoints").split()
] + [("apps/v1", k) for k in "Deployment ReplicaSet DaemonSet StatefulSet".split()] + [
    ("batch/v1", "Job"), ("batch/v1", "CronJob"),
    ("policy/v1", "PodDisruptionBudget"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("autoscaling/v1", "HorizontalPodAutoscaler"),
    ("discovery.k8s.io/v1", "EndpointSlice"),
]

SCALARS = {"str": "string", "int": "int", "bool": "bool", "float": "number",
           "datetime": "time", "date": "time", "object": "any"}
# Upstream types the Python client flattens to a scalar.
SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "intorstring",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "quantity",
}


def load_schema_defs():
    path = os.path.join(os.path.dirname(kubernetes_validate.__file__),
                        "kubernetes-json-schema", K8S_VERSION + "-local-strict",
                        "_definitions.json")
    with open(path) as f:
        return json.load(f)["$defs"]


def ref_of(prop):
    """Name of the upstream definition a schema property points to, or None."""
    ref = prop.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def convert(pytype, prop, where, queue):
    """Turn a client type string into a <ref>, checking it against the schema
    property `prop`; queue (ModelName, upstream definition) pairs to visit."""
    m = re.fullmatch(r"list\[(.+)\]", pytype)
    if m:
        return "[]" + convert(m.group(1), prop.get("items", {}), where, queue)
    m = re.fullmatch(r"dict\(str, (.+)\)", pytype)
    if m:
        return "{}" + convert(m.group(1), prop.get("additionalProperties", {}),
                              where, queue)
    ref = ref_of(prop)
    if ref in SPECIAL:
        return SPECIAL[ref]
    if pytype in SCALARS:
        return SCALARS[pytype]
    if ref is None or not hasattr(models, pytype):
        sys.exit(f"{where}: client type {pytype!r} but schema has {prop!r}")
    queue.append((pytype, ref))
    return pytype


def main():
    defs = load_schema_defs()
    by_gvk = {}
    for name, d in defs.items():
        for g in d.get("x-kubernetes-group-version-kind", []):
            api = g["group"] + "/" + g["version"] if g["group"] else g["version"]
            by_gvk[(api, g["kind"])] = name

    kinds, queue = [], []
    for api, kind in ROOTS:
        # Client naming: <Version><Kind>, e.g. autoscaling/v2 -> V2HorizontalPodAutoscaler.
        model = api.rsplit("/", 1)[-1].capitalize() + kind
        if not hasattr(models, model) or (api, kind) not in by_gvk:
            sys.exit(f"no model/schema for {api} {kind} ({model})")
        kinds.append((api, kind, model))
        queue.append((model, by_gvk[(api, kind)]))

    types, upstream = {}, {}
    while queue:
        model, defname = queue.pop()
        if model in upstream:
            if upstream[model] != defname:
                sys.exit(f"{model} maps to both {upstream[model]} and {defname}")
            continue
        upstream[model] = defname
        cls = getattr(models, model)
        props = defs[defname].get("properties", {})
        fields = {cls.attribute_map[a]: t for a, t in cls.openapi_types.items()}
        if set(fields) != set(props):
            sys.exit(f"{model}: client and schema fields differ: "
                     f"{sorted(set(fields) ^ set(props))}")
        types[model] = {f: convert(t, props[f], f"{model}.{f}", queue)
                        for f, t in fields.items()}

    lines = [f"# Generated by tools/openapi_fields.py from the kubernetes Python "
             f"client {kubernetes.__version__} (Kubernetes v1.34 OpenAPI). Do not edit.",
             "# intorstring/quantity from upstream $refs via kubernetes-validate "
             f"{K8S_VERSION} schemas. Format: see the script's docstring."]
    lines += [f"kind {api} {kind} {model}" for api, kind, model in sorted(kinds)]
    for model in sorted(types):
        lines.append(f"type {model}")
        lines += [f" {f} {r}" for f, r in sorted(types[model].items())]
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.normpath(OUT)}: {len(kinds)} kinds, {len(types)} types")


if __name__ == "__main__":
    main()
