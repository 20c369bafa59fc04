//! The valid fields of every kind, for strict validation as `kubectl --validate=strict` does
//! it: a field not in the schema is refused (or warned about, or ignored, as asked), with its
//! path, position and a suggestion; a field kubesim accepts but does not model, where it would
//! change what a pod does, is warned about by name.
//!
//! The tables are text, embedded in the binary: `fields.txt` generated from upstream's OpenAPI
//! schema by `tools/openapi_fields.py` (its docstring gives the command and the format),
//! `kubescheduler.txt` written from upstream's `k8s.io/kube-scheduler/config/v1` types, and
//! `kubesim.txt` for kubesim's own Simulation. [`walk`] checks one document against them.

pub mod walk;

use std::collections::BTreeMap;
use std::sync::OnceLock;

const TABLES: [(&str, &str); 3] = [
    ("fields.txt", include_str!("fields.txt")),
    ("kubescheduler.txt", include_str!("kubescheduler.txt")),
    ("kubesim.txt", include_str!("kubesim.txt")),
];

/// How unknown fields are treated (`--validate`, as kubectl's flag).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ValidateMode {
    /// An error (kubectl's default).
    #[default]
    Strict,
    /// A warning.
    Warn,
    /// Not checked.
    Ignore,
}

impl ValidateMode {
    /// Parses `strict`, `warn` or `ignore` (also kubectl's `true` and `false`).
    pub fn parse(s: &str) -> Result<ValidateMode, String> {
        match s {
            "strict" | "true" => Ok(ValidateMode::Strict),
            "warn" => Ok(ValidateMode::Warn),
            "ignore" | "false" => Ok(ValidateMode::Ignore),
            other => Err(format!(
                "invalid --validate value {other:?}: expected strict, warn or ignore"
            )),
        }
    }
}

/// What a field holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ref {
    /// A scalar of this kind (`string`, `int`, `bool`, `number`, `time`, `intorstring`,
    /// `quantity`).
    Scalar(Scalar),
    /// Anything (nothing beneath is checked).
    Any,
    /// An object of the type at this index.
    Object(usize),
    /// A list.
    List(Box<Ref>),
    /// A map from strings.
    Map(Box<Ref>),
    /// A whole manifest, checked as the kind its own `apiVersion` and `kind` name (the items
    /// of a List, an arrival's inline template).
    Manifest,
    /// A scheduler plugin's args, checked as the `args` type of the plugin its sibling field
    /// `name` names (`pluginConfig[].args`).
    PluginArgs,
}

/// Scalar kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar {
    /// Text (also times).
    String,
    /// An integer.
    Int,
    /// `true` or `false`.
    Bool,
    /// A number.
    Number,
    /// An integer or a string.
    IntOrString,
    /// A quantity (a string or a number).
    Quantity,
}

impl Scalar {
    /// What the YAML shows, as an error says it.
    pub fn expected(self) -> &'static str {
        match self {
            Scalar::String => "a string",
            Scalar::Int => "an integer",
            Scalar::Bool => "a boolean (true or false)",
            Scalar::Number => "a number",
            Scalar::IntOrString => "an integer or a string",
            Scalar::Quantity => "a quantity (e.g. 500m, 2, 1Gi)",
        }
    }
}

/// One object type: its fields, sorted by name.
#[derive(Clone, Debug)]
pub struct Type {
    /// Its name in the table (`V1PodSpec`).
    pub name: String,
    fields: Vec<(String, Ref)>,
}

impl Type {
    /// The field `name`, if the type has it.
    pub fn field(&self, name: &str) -> Option<&Ref> {
        self.fields
            .binary_search_by(|(f, _)| f.as_str().cmp(name))
            .ok()
            .map(|i| &self.fields[i].1)
    }

    /// Every field name, sorted.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(f, _)| f.as_str())
    }
}

/// Every table, read.
#[derive(Debug)]
pub struct Schema {
    types: Vec<Type>,
    /// `(apiVersion, kind)` -> type.
    kinds: BTreeMap<(String, String), usize>,
    /// Scheduler plugin name -> its args type.
    args: BTreeMap<String, usize>,
}

/// Fields kubesim accepts but does not model although they change what a pod, a Job or the
/// scheduler does: `(type, field, what kubesim does instead)`. A field whose value is what
/// kubesim does anyway ([`MODELLED_VALUES`]) is not warned about.
pub const UNMODELLED: &[(&str, &str, &str)] = &[
    (
        "V1Container",
        "livenessProbe",
        "not probed: the application never stops answering, so it never restarts for it",
    ),
    (
        "V1Container",
        "lifecycle",
        "hooks take no time (preStop does not delay termination)",
    ),
    (
        "V1PodSpec",
        "activeDeadlineSeconds",
        "the pod is never stopped for it",
    ),
    (
        "V1PodSpec",
        "readinessGates",
        "readiness gates are not waited for",
    ),
    (
        "V1PodSpec",
        "runtimeClassName",
        "the RuntimeClass's overhead and scheduling are not applied",
    ),
    (
        "V1PodSpec",
        "resourceClaims",
        "dynamic resource claims are not allocated",
    ),
    (
        "V1JobSpec",
        "podFailurePolicy",
        "every pod failure counts against backoffLimit",
    ),
    (
        "V1JobSpec",
        "successPolicy",
        "a Job succeeds only on its completions",
    ),
    ("V1JobSpec", "suspend", "the Job runs at once"),
    (
        "V1JobSpec",
        "ttlSecondsAfterFinished",
        "finished Jobs are kept",
    ),
    (
        "V1PodDisruptionBudgetSpec",
        "unhealthyPodEvictionPolicy",
        "the eviction API applies IfHealthyBudget (a pod not Ready goes only while the budget \
         has the healthy pods it wants)",
    ),
];

/// Values of [`UNMODELLED`] fields that match what kubesim does: `(field, value)`.
pub const MODELLED_VALUES: &[(&str, &str)] = &[
    ("suspend", "false"),
    ("unhealthyPodEvictionPolicy", "IfHealthyBudget"),
];

impl Schema {
    /// The tables of this build (read once).
    pub fn get() -> &'static Schema {
        static SCHEMA: OnceLock<Schema> = OnceLock::new();
        SCHEMA.get_or_init(|| {
            Schema::parse(&TABLES).unwrap_or_else(|e| panic!("embedded schema table: {e}"))
        })
    }

    /// The root type of `kind` under `api_version`.
    pub fn kind(&self, api_version: &str, kind: &str) -> Option<Ref> {
        self.kinds
            .get(&(api_version.to_owned(), kind.to_owned()))
            .map(|&t| Ref::Object(t))
    }

    /// The root type of `kind` when no `apiVersion` is given (an arrival's inline template):
    /// its version in the core group, else the first the table has.
    pub fn kind_any_version(&self, kind: &str) -> Option<Ref> {
        self.kind("v1", kind).or_else(|| {
            self.kinds
                .iter()
                .find(|((_, k), _)| k == kind)
                .map(|(_, &t)| Ref::Object(t))
        })
    }

    /// The type of a scheduler plugin's args.
    pub fn plugin_args(&self, plugin: &str) -> Option<Ref> {
        self.args.get(plugin).map(|&t| Ref::Object(t))
    }

    /// The plugins whose args have a type, sorted.
    pub fn plugins_with_args(&self) -> impl Iterator<Item = &str> {
        self.args.keys().map(String::as_str)
    }

    /// The type at `index` (from a [`Ref::Object`]).
    pub fn ty(&self, index: usize) -> &Type {
        &self.types[index]
    }

    /// What kubesim does instead of the unmodelled field `field` of type `ty`, if it is one.
    pub fn unmodelled(&self, ty: usize, field: &str) -> Option<&'static str> {
        let name = self.types[ty].name.as_str();
        UNMODELLED
            .iter()
            .find(|(t, f, _)| *t == name && *f == field)
            .map(|(_, _, why)| *why)
    }

    /// Reads tables in the line format of `tools/openapi_fields.py`, plus `args PLUGIN TYPE`.
    fn parse(tables: &[(&str, &str)]) -> Result<Schema, String> {
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let mut raw: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut kinds = Vec::new();
        let mut args = Vec::new();
        for (file, text) in tables {
            for (n, line) in text.lines().enumerate() {
                let at = || format!("{file}:{}", n + 1);
                if line.starts_with('#') || line.trim().is_empty() {
                    continue;
                }
                let words: Vec<&str> = line.split_whitespace().collect();
                match (line.starts_with(' '), words.as_slice()) {
                    (true, [field, ty]) => raw
                        .last_mut()
                        .ok_or_else(|| format!("{}: a field before any type", at()))?
                        .1
                        .push((field.to_string(), ty.to_string())),
                    (false, ["type", name]) => {
                        if names.insert(name.to_string(), raw.len()).is_some() {
                            return Err(format!("{}: type {name} defined twice", at()));
                        }
                        raw.push((name.to_string(), Vec::new()));
                    }
                    (false, ["kind", api, kind, ty]) => {
                        kinds.push((api.to_string(), kind.to_string(), ty.to_string(), at()))
                    }
                    (false, ["args", plugin, ty]) => {
                        args.push((plugin.to_string(), ty.to_string(), at()))
                    }
                    _ => return Err(format!("{}: cannot read {line:?}", at())),
                }
            }
        }
        let resolve = |ty: &str| -> Result<Ref, String> { parse_ref(ty, &names) };
        let mut types = Vec::with_capacity(raw.len());
        for (name, fields) in raw {
            let mut resolved = Vec::with_capacity(fields.len());
            for (f, ty) in fields {
                resolved.push((f, resolve(&ty).map_err(|e| format!("{name}.{e}"))?));
            }
            resolved.sort_by(|a, b| a.0.cmp(&b.0));
            types.push(Type {
                name,
                fields: resolved,
            });
        }
        let index = |ty: &str, at: &str| {
            names
                .get(ty)
                .copied()
                .ok_or_else(|| format!("{at}: no type {ty}"))
        };
        let mut schema = Schema {
            types,
            kinds: BTreeMap::new(),
            args: BTreeMap::new(),
        };
        for (api, kind, ty, at) in kinds {
            schema.kinds.insert((api, kind), index(&ty, &at)?);
        }
        for (plugin, ty, at) in args {
            schema.args.insert(plugin, index(&ty, &at)?);
        }
        Ok(schema)
    }
}

/// `[]{}V1Container` and the like.
fn parse_ref(ty: &str, names: &BTreeMap<String, usize>) -> Result<Ref, String> {
    if let Some(inner) = ty.strip_prefix("[]") {
        return Ok(Ref::List(Box::new(parse_ref(inner, names)?)));
    }
    if let Some(inner) = ty.strip_prefix("{}") {
        return Ok(Ref::Map(Box::new(parse_ref(inner, names)?)));
    }
    Ok(match ty {
        "string" | "time" => Ref::Scalar(Scalar::String),
        "int" => Ref::Scalar(Scalar::Int),
        "bool" => Ref::Scalar(Scalar::Bool),
        "number" => Ref::Scalar(Scalar::Number),
        "intorstring" => Ref::Scalar(Scalar::IntOrString),
        "quantity" => Ref::Scalar(Scalar::Quantity),
        "any" => Ref::Any,
        "manifest" => Ref::Manifest,
        "pluginargs" => Ref::PluginArgs,
        name => Ref::Object(
            names
                .get(name)
                .copied()
                .ok_or_else(|| format!("unknown type {name}"))?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_tables_read_and_name_every_kind_kubesim_reads() {
        let s = Schema::get();
        for (api, kind) in [
            ("v1", "Pod"),
            ("v1", "Node"),
            ("v1", "Service"),
            ("v1", "Namespace"),
            ("v1", "PersistentVolume"),
            ("v1", "PersistentVolumeClaim"),
            ("batch/v1", "Job"),
            ("policy/v1", "PodDisruptionBudget"),
            ("storage.k8s.io/v1", "StorageClass"),
            ("scheduling.k8s.io/v1", "PriorityClass"),
            ("apps/v1", "Deployment"),
            ("kubesim.io/v1alpha1", "Simulation"),
            (
                "kubescheduler.config.k8s.io/v1",
                "KubeSchedulerConfiguration",
            ),
        ] {
            assert!(s.kind(api, kind).is_some(), "{api} {kind}");
        }
        for (ty, field, _) in UNMODELLED {
            let t = s.types.iter().find(|t| t.name == *ty).expect(ty);
            assert!(t.field(field).is_some(), "{ty}.{field}");
        }
        let Some(Ref::Object(pod)) = s.kind("v1", "Pod") else {
            panic!()
        };
        let Some(Ref::Object(spec)) = s.ty(pod).field("spec").cloned() else {
            panic!()
        };
        assert!(s.ty(spec).field("nodeSelector").is_some());
        assert!(s.ty(spec).field("nodeSelecter").is_none());
        assert!(s.plugin_args("NodeResourcesFit").is_some());
    }

    #[test]
    fn table_errors_name_their_line() {
        let e = Schema::parse(&[("t", "type A\n x B\n")]).unwrap_err();
        assert!(e.contains("unknown type B"), "{e}");
        let e = Schema::parse(&[("t", "kind v1 Pod P\n")]).unwrap_err();
        assert_eq!(e, "t:1: no type P");
        let e = Schema::parse(&[("t", " x string\n")]).unwrap_err();
        assert_eq!(e, "t:1: a field before any type");
    }
}
