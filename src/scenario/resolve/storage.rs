//! Resolution of the storage kinds (StorageClass, PersistentVolume, PersistentVolumeClaim),
//! of pod volumes and of container host ports.

use super::{Doc, Resolver, check_labels, meta, quantity, term};
use crate::api::ObjectMeta;
use crate::api::pod::{BIND_ALL_HOST_IP, HostPort, PodVolume, Protocol};
use crate::api::volume::{
    ANNOTATION_DEFAULT_CLASS, AccessModes, PersistentVolumeClaimSpec, PersistentVolumeSpec,
    StorageClass, TopologyTerm, VolumeBindingMode,
};
use crate::scenario::documents::Located;
use crate::scenario::model::{ClaimManifest, VolumeManifest};
use crate::scenario::raw::{self, Manifest, Spanned};
use std::collections::BTreeSet;
use std::sync::Arc;

fn doc(m: &Located<Manifest>) -> Doc<'_> {
    Doc {
        file: &m.file,
        line: m.line,
    }
}

/// Every StorageClass manifest, checked.
pub(super) fn storage_classes(
    r: &mut Resolver,
    manifests: &[Located<Manifest>],
) -> Vec<StorageClass> {
    let mut out: Vec<StorageClass> = Vec::new();
    for m in manifests {
        let Manifest::StorageClass(c) = &m.value else {
            continue;
        };
        let d = doc(m);
        let Some(name) = c.metadata.name.clone().filter(|n| !n.is_empty()) else {
            r.doc(d, "metadata.name", "is required");
            continue;
        };
        if out.iter().any(|o| o.name == name) {
            r.doc(
                d,
                "metadata.name",
                format!("StorageClass {name:?} is defined twice"),
            );
            continue;
        }
        let provisioner = match &c.provisioner {
            Some(p) if !p.is_empty() => p.clone(),
            _ => {
                r.doc(
                    d,
                    "provisioner",
                    "is required (use kubernetes.io/no-provisioner for volumes created by hand)",
                );
                String::new()
            }
        };
        let binding_mode = match &c.volume_binding_mode {
            None => VolumeBindingMode::Immediate,
            Some(m) => VolumeBindingMode::parse(&m.value).unwrap_or_else(|| {
                r.at(
                    d,
                    m,
                    "volumeBindingMode",
                    format!(
                        "expected Immediate or WaitForFirstConsumer, got {:?}",
                        m.value
                    ),
                );
                VolumeBindingMode::Immediate
            }),
        };
        let mut allowed_topologies = Vec::new();
        for (i, t) in c.allowed_topologies.iter().enumerate() {
            let mut term = TopologyTerm::default();
            for (j, e) in t.match_label_expressions.iter().enumerate() {
                let path = format!("allowedTopologies[{i}].matchLabelExpressions[{j}]");
                if e.values.is_empty() {
                    r.doc(d, &format!("{path}.values"), "needs at least one value");
                }
                term.requirements.push((e.key.clone(), e.values.clone()));
            }
            allowed_topologies.push(term);
        }
        let is_default = c
            .metadata
            .annotations
            .get(ANNOTATION_DEFAULT_CLASS)
            .is_some_and(|v| v == "true");
        out.push(StorageClass {
            name,
            provisioner,
            binding_mode,
            allowed_topologies,
            is_default,
        });
    }
    let defaults: Vec<&str> = out
        .iter()
        .filter(|c| c.is_default)
        .map(|c| c.name.as_str())
        .collect();
    if defaults.len() > 1 {
        r.warnings.push(format!(
            "several default StorageClasses ({}); claims without a class get {:?}",
            defaults.join(", "),
            defaults[0]
        ));
    }
    out
}

fn access_modes(r: &mut Resolver, d: Doc, path: &str, modes: &[Spanned<String>]) -> AccessModes {
    if modes.is_empty() {
        r.doc(d, path, "at least one access mode is required");
    }
    let mut out = AccessModes::default();
    for (i, m) in modes.iter().enumerate() {
        match AccessModes::parse(&m.value) {
            Some(a) => out = out.with(a),
            None => r.at(
                d,
                m,
                &format!("{path}[{i}]"),
                format!("expected {}, got {:?}", AccessModes::NAMES, m.value),
            ),
        }
    }
    out
}

fn storage(r: &mut Resolver, d: Doc, path: &str, qs: &raw::Quantities) -> i64 {
    match qs.get("storage") {
        Some(q) => quantity(r, d, path, "storage", q).unwrap_or(0),
        None => {
            r.doc(d, path, "is required");
            0
        }
    }
}

/// Every PersistentVolume manifest, checked.
pub(super) fn volumes(r: &mut Resolver, manifests: &[Located<Manifest>]) -> Vec<VolumeManifest> {
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for m in manifests {
        let Manifest::PersistentVolume(v) = &m.value else {
            continue;
        };
        let d = doc(m);
        let Some(name) = v.metadata.name.clone().filter(|n| !n.is_empty()) else {
            r.doc(d, "metadata.name", "is required");
            continue;
        };
        if !names.insert(name.clone()) {
            r.doc(
                d,
                "metadata.name",
                format!("duplicate PersistentVolume {name:?}"),
            );
            continue;
        }
        check_labels(r, d, "metadata.labels", &v.metadata.labels);
        let s = &v.spec;
        let capacity = storage(r, d, "spec.capacity.storage", &s.capacity);
        let modes = access_modes(r, d, "spec.accessModes", &s.access_modes);
        let node_affinity = s
            .node_affinity
            .as_ref()
            .and_then(|a| a.required.as_ref())
            .map(|sel| {
                let terms = sel
                    .node_selector_terms
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        let p = format!("spec.nodeAffinity.required.nodeSelectorTerms[{i}]");
                        term(r, d, &p, t)
                    })
                    .collect();
                Arc::new(terms)
            });
        out.push(VolumeManifest {
            meta: ObjectMeta {
                name,
                namespace: String::new(),
                labels: Arc::new(v.metadata.labels.clone()),
                annotations: Arc::new(v.metadata.annotations.clone()),
                ..ObjectMeta::default()
            },
            spec: PersistentVolumeSpec {
                capacity,
                access_modes: modes,
                storage_class: s.storage_class_name.clone().unwrap_or_default(),
                node_affinity,
            },
        });
    }
    out
}

/// Every PersistentVolumeClaim manifest, checked; a claim that names no class gets the default
/// class, as the DefaultStorageClass admission plugin does.
pub(super) fn claims(
    r: &mut Resolver,
    manifests: &[Located<Manifest>],
    classes: &[StorageClass],
    volumes: &[VolumeManifest],
) -> Vec<ClaimManifest> {
    let default_class = classes
        .iter()
        .find(|c| c.is_default)
        .map(|c| c.name.clone());
    let mut out = Vec::new();
    let mut keys = BTreeSet::new();
    for m in manifests {
        let Manifest::PersistentVolumeClaim(c) = &m.value else {
            continue;
        };
        let d = doc(m);
        let Some(meta) = meta(r, d, "metadata", &c.metadata, 1) else {
            continue;
        };
        if !keys.insert((meta.namespace.clone(), meta.name.clone())) {
            let msg = format!(
                "duplicate PersistentVolumeClaim {}/{}",
                meta.namespace, meta.name
            );
            r.doc(d, "metadata.name", msg);
            continue;
        }
        let s = &c.spec;
        let request = storage(
            r,
            d,
            "spec.resources.requests.storage",
            &s.resources.requests,
        );
        let modes = access_modes(r, d, "spec.accessModes", &s.access_modes);
        let storage_class = match &s.storage_class_name {
            Some(n) => n.clone(),
            None => default_class.clone().unwrap_or_default(),
        };
        if !storage_class.is_empty() && !classes.iter().any(|c| c.name == storage_class) {
            r.warn(
                d,
                format!("spec.storageClassName: no StorageClass is named {storage_class:?}; the claim can only bind to volumes of that class"),
            );
        }
        if let Some(v) = &s.volume_name
            && !volumes.iter().any(|pv| &pv.meta.name == v)
        {
            r.warn(
                d,
                format!(
                    "spec.volumeName: no PersistentVolume is named {v:?}; the claim stays Pending"
                ),
            );
        }
        if s.selector.is_some() {
            r.warn(d, "spec.selector is not modelled yet; ignored");
        }
        out.push(ClaimManifest {
            meta,
            spec: PersistentVolumeClaimSpec {
                storage_class,
                request,
                access_modes: modes,
                volume_name: s.volume_name.clone().filter(|v| !v.is_empty()),
            },
        });
    }
    out
}

/// The PersistentVolumeClaim volumes of a pod spec (`path` ends in `spec`).
pub(super) fn pod_volumes(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    s: &raw::PodSpec,
) -> Vec<PodVolume> {
    let mut out = Vec::new();
    for (i, v) in s.volumes.iter().enumerate() {
        if v.ephemeral.is_some() {
            r.warn(
                d,
                format!("{path}.volumes[{i}].ephemeral is not modelled yet; ignored"),
            );
        }
        let Some(src) = &v.persistent_volume_claim else {
            continue;
        };
        if src.claim_name.value.is_empty() {
            let p = format!("{path}.volumes[{i}].persistentVolumeClaim.claimName");
            r.at(d, &src.claim_name, &p, "must not be empty");
            continue;
        }
        out.push(PodVolume {
            name: Arc::from(v.name.as_str()),
            claim_name: Arc::from(src.claim_name.value.as_str()),
        });
    }
    out
}

/// The host ports of a pod: those of its sidecars (init containers with
/// `restartPolicy: Always`) and its containers, as upstream `GetHostPorts` lists them.
pub(super) fn host_ports(r: &mut Resolver, d: Doc, path: &str, s: &raw::PodSpec) -> Vec<HostPort> {
    let mut out = Vec::new();
    let sidecars = s
        .init_containers
        .iter()
        .enumerate()
        .filter(|(_, c)| c.restart_policy.as_deref() == Some("Always"))
        .map(|(i, c)| (format!("{path}.initContainers[{i}]"), c));
    let regular = s
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| (format!("{path}.containers[{i}]"), c));
    for (cpath, c) in sidecars.chain(regular) {
        for (j, p) in c.ports.iter().enumerate() {
            let ppath = format!("{cpath}.ports[{j}]");
            let protocol = match &p.protocol {
                None => Protocol::Tcp,
                Some(v) => match Protocol::parse(&v.value) {
                    Some(pr) => pr,
                    None => {
                        let msg = format!("expected TCP, UDP or SCTP, got {:?}", v.value);
                        r.at(d, v, &format!("{ppath}.protocol"), msg);
                        continue;
                    }
                },
            };
            let Some(hp) = &p.host_port else {
                continue;
            };
            let port = match u16::try_from(hp.value) {
                Ok(0) => continue,
                Ok(port) => port,
                Err(_) => {
                    let msg = format!("must be between 1 and 65535, got {}", hp.value);
                    r.at(d, hp, &format!("{ppath}.hostPort"), msg);
                    continue;
                }
            };
            let ip = p
                .host_ip
                .as_deref()
                .filter(|ip| !ip.is_empty())
                .unwrap_or(BIND_ALL_HOST_IP);
            out.push(HostPort {
                ip: Arc::from(ip),
                protocol,
                port,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::api::pod::{BIND_ALL_HOST_IP, Protocol};
    use crate::api::volume::{AccessModes, VolumeBindingMode};
    use crate::scenario::{LoadError, Scenario, load_scenario};
    use std::path::PathBuf;

    const SIM: &str = "apiVersion: kubesim.io/v1alpha1
kind: Simulation
metadata: {name: t}
spec:
  duration: 1h
  cluster:
    nodePools:
    - {name: pool, count: 2, zones: [a, b], template: {status: {capacity: {cpu: \"4\", memory: 16Gi}}}}
";

    const STORAGE: &str = "---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
  annotations: {storageclass.kubernetes.io/is-default-class: \"true\"}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
allowedTopologies:
- matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [a]}]
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv-a
  labels: {topology.kubernetes.io/zone: a}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  storageClassName: fast
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [a]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 5Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: none, namespace: default}
spec:
  storageClassName: \"\"
  volumeName: pv-a
  accessModes: [ReadOnlyMany]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  initContainers:
  - name: side
    image: envoy
    restartPolicy: Always
    ports: [{containerPort: 9901, hostPort: 9901, protocol: UDP, hostIP: 10.0.0.1}]
  - name: init
    image: busybox
    ports: [{containerPort: 1, hostPort: 1}]
  containers:
  - name: c
    image: busybox
    ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
  - name: tmp
    emptyDir: {}
";

    fn load(text: &str) -> (tempfile::TempDir, PathBuf, Result<Scenario, Vec<LoadError>>) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.yaml");
        std::fs::write(&p, text).unwrap();
        let r = load_scenario(std::slice::from_ref(&p));
        (dir, p, r)
    }

    #[test]
    fn storage_kinds_pod_volumes_and_host_ports_resolve() {
        let (_d, _, r) = load(&format!("{SIM}{STORAGE}"));
        let s = r.unwrap_or_else(|e| panic!("{e:?}"));
        let class = &s.storage_classes[0];
        assert_eq!(class.binding_mode, VolumeBindingMode::WaitForFirstConsumer);
        assert!(class.is_default && class.can_provision());
        assert_eq!(class.allowed_topologies[0].requirements[0].1, ["a"]);
        let pv = &s.volumes[0];
        assert_eq!(pv.spec.capacity, 10 << 30);
        assert!(
            pv.spec
                .access_modes
                .contains_all(AccessModes::READ_ONLY_MANY)
        );
        assert_eq!(pv.meta.namespace, "");
        let zone_a: crate::api::Labels =
            [("topology.kubernetes.io/zone".to_string(), "a".to_string())].into();
        assert!(pv.spec.node_affinity_matches(&zone_a, "pool-1"));
        assert!(!pv.spec.node_affinity_matches(&Default::default(), "pool-1"));
        let (data, none) = (&s.claims[0], &s.claims[1]);
        assert_eq!(data.spec.storage_class, "fast", "the default class");
        assert_eq!(data.spec.request, 5 << 30);
        assert_eq!(data.meta.namespace, "default");
        assert_eq!(none.spec.storage_class, "", "explicitly none");
        assert_eq!(none.spec.volume_name.as_deref(), Some("pv-a"));
        let pod = &s.pods[0];
        assert_eq!(pod.spec.volumes.len(), 1, "only claim volumes are kept");
        assert_eq!(&*pod.spec.volumes[0].claim_name, "data");
        let ports: Vec<(&str, Protocol, u16)> = pod
            .spec
            .host_ports
            .iter()
            .map(|p| (&*p.ip, p.protocol, p.port))
            .collect();
        assert_eq!(
            ports,
            [
                ("10.0.0.1", Protocol::Udp, 9901),
                (BIND_ALL_HOST_IP, Protocol::Tcp, 8080)
            ],
            "sidecar and container host ports; plain init containers and ports without hostPort do not count"
        );
    }

    #[test]
    fn bad_storage_input_is_located() {
        let bad = STORAGE
            .replace(
                "volumeBindingMode: WaitForFirstConsumer",
                "volumeBindingMode: Lazy",
            )
            .replace("capacity: {storage: 10Gi}", "capacity: {storage: -10Gi}")
            .replace(
                "accessModes: [ReadWriteOnce]\n  resources",
                "accessModes: [ReadWriteSometimes]\n  resources",
            )
            .replace("hostPort: 8080", "hostPort: 70000")
            .replace("protocol: UDP", "protocol: QUIC");
        let text = format!("{SIM}{bad}");
        let (_d, file, r) = load(&text);
        let errs = r.expect_err("invalid");
        let shown: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
        let at = |needle: &str| {
            let (i, line) = text
                .lines()
                .enumerate()
                .find(|(_, l)| l.contains(needle))
                .unwrap();
            format!(
                "{}:{}:{}",
                file.display(),
                i + 1,
                line.find(needle).unwrap() + 1
            )
        };
        let expect = [
            format!(
                "{}: volumeBindingMode: expected Immediate or WaitForFirstConsumer, got \"Lazy\"",
                at("Lazy")
            ),
            format!(
                "{}: spec.capacity.storage: must be a non-negative quantity",
                at("-10Gi")
            ),
            format!(
                "{}: spec.accessModes[0]: expected ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod, got \"ReadWriteSometimes\"",
                at("ReadWriteSometimes")
            ),
            format!(
                "{}: spec.containers[0].ports[0].hostPort: must be between 1 and 65535, got 70000",
                at("70000")
            ),
            format!(
                "{}: spec.initContainers[0].ports[0].protocol: expected TCP, UDP or SCTP, got \"QUIC\"",
                at("QUIC")
            ),
        ];
        for e in expect {
            assert!(
                shown.iter().any(|s| s.starts_with(&e)),
                "missing {e}\nin {shown:#?}"
            );
        }
    }

    #[test]
    fn missing_required_storage_fields_and_duplicates() {
        let text = format!(
            "{SIM}---
kind: StorageClass
metadata: {{name: c}}
---
kind: PersistentVolume
metadata: {{name: v}}
spec: {{accessModes: [ReadWriteOnce]}}
---
kind: PersistentVolume
metadata: {{name: v}}
spec: {{capacity: {{storage: 1Gi}}, accessModes: [ReadWriteOnce]}}
---
kind: PersistentVolumeClaim
metadata: {{name: c}}
spec: {{resources: {{requests: {{storage: 1Gi}}}}}}
"
        );
        let (_d, _, r) = load(&text);
        let errs = r.expect_err("invalid");
        let msgs: Vec<String> = errs
            .iter()
            .map(|e| format!("{}: {}", e.path, e.message))
            .collect();
        for want in [
            "provisioner: is required",
            "spec.capacity.storage: is required",
            "metadata.name: duplicate PersistentVolume \"v\"",
            "spec.accessModes: at least one access mode is required",
        ] {
            assert!(
                msgs.iter().any(|m| m.starts_with(want)),
                "missing {want} in {msgs:#?}"
            );
        }
    }

    #[test]
    fn ungate_annotation_is_a_distribution_and_warns_without_gates() {
        let pod = "---
kind: Pod
metadata:
  name: g
  annotations: {kubesim.io/ungate-after: 30s}
spec:
  schedulingGates: [{name: x}]
  containers: [{name: c, image: busybox}]
---
kind: Pod
metadata:
  name: free
  annotations: {kubesim.io/ungate-after: 30s}
spec:
  containers: [{name: c, image: busybox}]
";
        let (_d, _, r) = load(&format!("{SIM}{pod}"));
        let s = r.unwrap();
        assert!(s.pods[0].spec.behaviour.ungate_after.is_some());
        assert!(
            s.warnings
                .iter()
                .any(|w| w.contains("has no schedulingGates")),
            "{:?}",
            s.warnings
        );
        let (_d, _, r) = load(&format!("{SIM}{}", pod.replace("30s}", "soon}")));
        let errs = r.expect_err("bad distribution");
        assert!(
            errs[0]
                .path
                .ends_with("annotations.kubesim.io/ungate-after"),
            "{:?}",
            errs
        );
        let bound = pod.replace(
            "spec:\n  schedulingGates",
            "spec:\n  nodeName: pool-1\n  schedulingGates",
        );
        let (_d, _, r) = load(&format!("{SIM}{bound}"));
        let errs = r.expect_err("gates with nodeName");
        assert_eq!(errs[0].path, "spec.nodeName");
        assert_eq!(
            errs[0].message,
            "cannot be set until all schedulingGates have been cleared"
        );
    }
}
