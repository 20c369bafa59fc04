//! `v1` PersistentVolume and PersistentVolumeClaim, and the claims a pod mounts: as
//! written, and resolved (a claim without a class takes the default one, as the
//! DefaultStorageClass admission plugin does).

use super::super::meta::{ObjectMeta, check_labels, given_uid, meta};
use super::super::resolver::{Doc, Resolver, quantity};
use super::super::yaml::{IgnoredPresence, Quantities, Spanned};
use super::affinity::{NodeSelector, selector_terms};
use super::container::ResourceRequirements;
use crate::api;
use crate::api::names::NameRule;
use crate::api::pod::PodVolume;
use crate::api::volume::AccessModes;
use crate::scenario::model::{ClaimManifest, VolumeManifest};
use serde::Deserialize;
use std::sync::Arc;

/// A pod volume.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    /// Volume name.
    pub name: String,
    /// A PersistentVolumeClaim source.
    #[serde(default)]
    pub persistent_volume_claim: Option<ClaimSource>,
    /// A generic ephemeral volume: presence only (not modelled).
    #[serde(default)]
    pub ephemeral: Option<IgnoredPresence>,
}

/// `volumes[].persistentVolumeClaim`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimSource {
    /// The claim, in the pod's namespace.
    pub claim_name: Spanned<String>,
    /// Read-only mount (accepted, not used).
    #[serde(default)]
    pub read_only: Option<bool>,
}

/// A `v1` PersistentVolume.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PersistentVolume {
    /// Metadata (zone labels are read).
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: PersistentVolumeSpec,
}

/// PersistentVolume spec (the scheduling-relevant subset).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersistentVolumeSpec {
    /// `storage`.
    pub capacity: Quantities,
    /// Access modes.
    pub access_modes: Vec<Spanned<String>>,
    /// Storage class.
    pub storage_class_name: Option<String>,
    /// Which nodes can reach the volume.
    pub node_affinity: Option<VolumeNodeAffinity>,
}

/// `spec.nodeAffinity` of a PersistentVolume.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct VolumeNodeAffinity {
    /// Required terms.
    pub required: Option<NodeSelector>,
}

/// A `v1` PersistentVolumeClaim.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PersistentVolumeClaim {
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Spec.
    pub spec: PersistentVolumeClaimSpec,
}

/// PersistentVolumeClaim spec.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PersistentVolumeClaimSpec {
    /// Access modes.
    pub access_modes: Vec<Spanned<String>>,
    /// Storage class (absent: the default class; empty: none).
    pub storage_class_name: Option<String>,
    /// `requests.storage`.
    pub resources: ResourceRequirements,
    /// A volume asked for by name.
    pub volume_name: Option<String>,
    /// Label selector over volumes: presence only (not modelled).
    pub selector: Option<IgnoredPresence>,
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

fn storage(r: &mut Resolver, d: Doc, path: &str, qs: &Quantities) -> i64 {
    match qs.get("storage") {
        Some(q) => quantity(r, d, path, "storage", q).unwrap_or(0),
        None => {
            r.doc(d, path, "is required");
            0
        }
    }
}

/// A PersistentVolume manifest.
pub(in super::super) fn volume(r: &mut Resolver, d: Doc, v: &PersistentVolume) {
    let Some(name) = r.name(d, &v.metadata.name, NameRule::Subdomain) else {
        return;
    };
    if r.volumes.iter().any(|pv| pv.meta.name == name) {
        r.doc(
            d,
            "metadata.name",
            format!("duplicate PersistentVolume {name:?}"),
        );
        return;
    }
    check_labels(r, d, "metadata.labels", &v.metadata.labels);
    let s = &v.spec;
    let capacity = storage(r, d, "spec.capacity.storage", &s.capacity);
    let modes = access_modes(r, d, "spec.accessModes", &s.access_modes);
    let node_affinity = s
        .node_affinity
        .as_ref()
        .and_then(|a| a.required.as_ref())
        .map(|sel| Arc::new(selector_terms(r, d, "spec.nodeAffinity.required", sel)));
    let uid = given_uid(r, d, &v.metadata);
    r.volumes.push(VolumeManifest {
        meta: api::ObjectMeta {
            name,
            namespace: String::new(),
            uid,
            labels: Arc::new(v.metadata.labels.clone()),
            annotations: Arc::new(v.metadata.annotations.clone()),
            ..api::ObjectMeta::default()
        },
        spec: api::volume::PersistentVolumeSpec {
            capacity,
            access_modes: modes,
            storage_class: s.storage_class_name.clone().unwrap_or_default(),
            node_affinity,
        },
    });
}

/// A PersistentVolumeClaim manifest; one that names no class gets the default class.
pub(in super::super) fn claim(r: &mut Resolver, d: Doc, c: &PersistentVolumeClaim) {
    let Some(meta) = meta(r, d, "metadata", &c.metadata, 1) else {
        return;
    };
    let taken = r
        .claims
        .iter()
        .any(|o| o.meta.namespace == meta.namespace && o.meta.name == meta.name);
    if taken {
        let msg = format!(
            "duplicate PersistentVolumeClaim {}/{}",
            meta.namespace, meta.name
        );
        r.doc(d, "metadata.name", msg);
        return;
    }
    let spec = claim_spec(r, d, "spec", &c.spec);
    r.claims.push(ClaimManifest { meta, spec });
}

/// A claim's spec at `path` (`spec`, or `spec.volumeClaimTemplates[i].spec` of a
/// StatefulSet): the class defaulted, the request and modes checked.
pub(in super::super) fn claim_spec(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    s: &PersistentVolumeClaimSpec,
) -> api::volume::PersistentVolumeClaimSpec {
    let request = storage(
        r,
        d,
        &format!("{path}.resources.requests.storage"),
        &s.resources.requests,
    );
    let modes = access_modes(r, d, &format!("{path}.accessModes"), &s.access_modes);
    let default_class = r.storage_classes.iter().find(|c| c.is_default);
    let storage_class = match &s.storage_class_name {
        Some(n) => n.clone(),
        None => default_class.map(|c| c.name.clone()).unwrap_or_default(),
    };
    if !storage_class.is_empty() && !r.storage_classes.iter().any(|c| c.name == storage_class) {
        r.warn(
            d,
            format!(
                "{path}.storageClassName: no StorageClass is named {storage_class:?}; the claim \
                 can only bind to volumes of that class"
            ),
        );
    }
    if let Some(v) = &s.volume_name
        && !r.volumes.iter().any(|pv| &pv.meta.name == v)
    {
        r.warn(
            d,
            format!(
                "{path}.volumeName: no PersistentVolume is named {v:?}; the claim stays Pending"
            ),
        );
    }
    if s.selector.is_some() {
        r.warn(d, format!("{path}.selector is not modelled yet; ignored"));
    }
    api::volume::PersistentVolumeClaimSpec {
        storage_class,
        request,
        access_modes: modes,
        volume_name: s.volume_name.clone().filter(|v| !v.is_empty()),
    }
}

/// The PersistentVolumeClaim volumes of a pod spec (`path` ends in `spec`).
pub(in super::super) fn pod_volumes(
    r: &mut Resolver,
    d: Doc,
    path: &str,
    volumes: &[Volume],
) -> Vec<PodVolume> {
    let mut out = Vec::new();
    for (i, v) in volumes.iter().enumerate() {
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
}
