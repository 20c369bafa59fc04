//! The kubectl verbs a timeline may use, each read with kubectl's flags, arguments and error
//! wording (`staging/src/k8s.io/kubectl/pkg/cmd/`): `scale`, `set image`, `set resources`,
//! `rollout restart|undo|pause|resume`, `delete`, `cordon`, `uncordon`, `drain`, `label`,
//! `annotate`, `taint` (`apply -f` is read in [`super`], with the loader).

use super::Known;
use super::tokens::{Args, Flag, flag, parse};
use crate::api::duration::parse_duration_ms;
use crate::api::kubectl::{Command, Drain, MetaEdit, ObjectRef, Resource, ResourceChange, Targets};
use crate::api::names::{did_you_mean, edit_distance};
use crate::api::quantity::Quantity;
use crate::api::selector::{LabelSelector, validate_label_key, validate_label_value};
use crate::api::taint::{Taint, TaintEffect};

/// The verbs modelled, for "did you mean".
pub const VERBS: [&str; 12] = [
    "apply", "annotate", "cordon", "delete", "drain", "label", "rollout", "scale", "set", "taint",
    "uncordon", "create",
];

const NAMESPACE: Flag = flag("namespace", Some('n'), true);
const SELECTOR: Flag = flag("selector", Some('l'), true);
const ALL: Flag = flag("all", None, false);

/// What every verb reads beside its words: the namespace in force and the objects known.
pub struct Env<'a> {
    /// The objects that exist by then (manifests, earlier timeline entries).
    pub known: &'a Known,
}

/// kubectl's error for an unknown command, with its suggestion: a command within two edits
/// or starting with the word (cobra's `SuggestionsMinimumDistance` 2).
fn unknown_command(word: &str, of: &str, candidates: &[&str]) -> String {
    let mut msg = format!("unknown command {word:?} for \"{of}\"");
    let near = did_you_mean(word, candidates.iter().copied()).or_else(|| {
        candidates
            .iter()
            .copied()
            .find(|c| edit_distance(word, c) <= 2 || (word.len() > 1 && c.starts_with(word)))
    });
    if let Some(m) = near {
        msg.push_str(&format!(" (did you mean {m:?}?)"));
    }
    msg
}

/// Parses one command's words (`kubectl` stripped), but `apply`.
pub fn command(words: &[String], env: &Env) -> Result<Command, String> {
    let Some((verb, rest)) = words.split_first() else {
        return Err("no command given".into());
    };
    match verb.as_str() {
        "scale" => scale(rest, env),
        "set" => match rest.split_first() {
            Some((s, rest)) if s == "image" => set_image(rest, env),
            Some((s, rest)) if s == "resources" => set_resources(rest, env),
            Some((s, _)) => Err(unknown_command(s, "kubectl set", &["image", "resources"])),
            None => Err("kubectl set needs a subcommand: image or resources".into()),
        },
        "rollout" => rollout(rest, env),
        "delete" => delete(rest, env),
        "cordon" | "uncordon" => {
            let args = parse(rest, &[NAMESPACE])?;
            let node = one_node(&args, env, verb)?;
            Ok(if verb == "cordon" {
                Command::Cordon(node)
            } else {
                Command::Uncordon(node)
            })
        }
        "drain" => drain(rest, env),
        "label" | "annotate" => meta_edit(verb, rest, env),
        "taint" => taint(rest, env),
        other => Err(unknown_command(other, "kubectl", &VERBS)),
    }
}

/// The namespace: `-n`, else `default`.
fn namespace(args: &Args) -> String {
    args.get("namespace").unwrap_or("default").to_string()
}

/// The objects named by the positional words (`TYPE/NAME ...` or `TYPE NAME ...`), or chosen
/// by `-l` / `--all` when `select` allows it; every type must be one of `allowed`.
fn targets(
    args: &Args,
    env: &Env,
    allowed: &[Resource],
    what: &str,
    select: bool,
) -> Result<Targets, String> {
    let ns = namespace(args);
    let words = &args.positional;
    let Some(first) = words.first() else {
        return Err(format!("you must specify the type of resource to {what}"));
    };
    let check_type = |t: &str| -> Result<Resource, String> {
        let r = Resource::parse(t)
            .ok_or_else(|| format!("the server doesn't have a resource type {t:?}"))?;
        if !allowed.contains(&r) {
            let names: Vec<String> = allowed.iter().map(|a| a.qualified()).collect();
            return Err(format!(
                "kubesim models \"{what}\" for {}, not {}",
                names.join(", "),
                r.qualified()
            ));
        }
        Ok(r)
    };
    let object = |resource: Resource, name: &str| -> Result<ObjectRef, String> {
        let o = ObjectRef {
            resource,
            namespace: if resource.namespaced() {
                ns.clone()
            } else {
                String::new()
            },
            name: name.to_string(),
        };
        env.known.check(&o)?;
        Ok(o)
    };
    let selector = args.get("selector");
    let all = args.on("all")?;
    if first.contains('/') {
        if selector.is_some() || all {
            return Err("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form".into());
        }
        let refs = words
            .iter()
            .map(|w| {
                let (t, name) = w.split_once('/').ok_or_else(|| {
                    format!("arguments in resource/name form must have a single resource and name, got {w:?}")
                })?;
                object(check_type(t)?, name)
            })
            .collect::<Result<Vec<_>, String>>()?;
        return Ok(Targets::Named(refs));
    }
    let resource = check_type(first)?;
    let names = &words[1..];
    match (names.is_empty(), selector, all) {
        (false, None, false) => Ok(Targets::Named(
            names
                .iter()
                .map(|n| object(resource, n))
                .collect::<Result<_, _>>()?,
        )),
        (false, _, _) => Err("name cannot be provided when a selector is specified".into()),
        (true, Some(s), _) if select => Ok(Targets::Selected {
            resource,
            namespace: ns,
            selector: LabelSelector::parse(s).map_err(|e| e.to_string())?,
        }),
        (true, None, true) if select => Ok(Targets::Selected {
            resource,
            namespace: ns,
            selector: LabelSelector::default(),
        }),
        _ => Err("resource(s) were provided, but no name was specified".into()),
    }
}

/// The workloads with replicas.
const SCALABLE: [Resource; 4] = [
    Resource::Deployment,
    Resource::ReplicaSet,
    Resource::ReplicationController,
    Resource::StatefulSet,
];
/// The workloads with a pod template.
const TEMPLATED: [Resource; 5] = [
    Resource::Deployment,
    Resource::ReplicaSet,
    Resource::ReplicationController,
    Resource::DaemonSet,
    Resource::StatefulSet,
];

fn scale(words: &[String], env: &Env) -> Result<Command, String> {
    let args = parse(
        words,
        &[NAMESPACE, SELECTOR, ALL, flag("replicas", None, true)],
    )?;
    let replicas = args
        .get("replicas")
        .ok_or("required flag(s) \"replicas\" not set")?;
    let replicas: i64 = replicas
        .parse()
        .map_err(|_| format!("invalid argument {replicas:?} for \"--replicas\" flag: strconv.ParseInt: parsing {replicas:?}: invalid syntax"))?;
    let replicas = u32::try_from(replicas).map_err(|_| {
        "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
            .to_string()
    })?;
    let targets = targets(&args, env, &SCALABLE, "scale", true)?;
    Ok(Command::Scale { targets, replicas })
}

fn set_image(words: &[String], env: &Env) -> Result<Command, String> {
    let mut args = parse(words, &[NAMESPACE, SELECTOR, ALL])?;
    // `CONTAINER=IMAGE` words follow the objects.
    let split = args
        .positional
        .iter()
        .position(|w| w.contains('='))
        .unwrap_or(args.positional.len());
    let pairs = args.positional.split_off(split);
    if pairs.is_empty() {
        return Err("at least one image update is required".into());
    }
    let images = pairs
        .iter()
        .map(|p| {
            let (c, image) = p
                .split_once('=')
                .ok_or_else(|| format!("invalid image update {p:?}: expected CONTAINER=IMAGE"))?;
            if image.is_empty() || c.is_empty() {
                return Err(format!(
                    "invalid image update {p:?}: expected CONTAINER=IMAGE"
                ));
            }
            Ok((c.to_string(), image.to_string()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let targets = targets(&args, env, &TEMPLATED, "set image", true)?;
    Ok(Command::SetImage { targets, images })
}

/// `cpu=200m,memory=512Mi` of `--requests` / `--limits`.
fn resource_list(
    flag: &str,
    text: &str,
    into: &mut crate::api::Resources,
    given: &mut Vec<String>,
) -> Result<(), String> {
    for item in text.split(',').filter(|i| !i.is_empty()) {
        let (name, value) = item
            .split_once('=')
            .ok_or_else(|| format!("invalid {flag} {item:?}: expected NAME=QUANTITY"))?;
        let q = Quantity::parse(value).map_err(|e| format!("invalid {flag} {item:?}: {e}"))?;
        let amount = match name {
            "cpu" => q.as_milli_i64(),
            _ => q.as_units_i64(),
        }
        .ok_or_else(|| format!("invalid {flag} {item:?}: out of range"))?;
        into.set(name, amount);
        given.push(name.to_string());
    }
    Ok(())
}

fn set_resources(words: &[String], env: &Env) -> Result<Command, String> {
    let flags = [
        NAMESPACE,
        SELECTOR,
        ALL,
        flag("containers", Some('c'), true),
        flag("requests", None, true),
        flag("limits", None, true),
    ];
    let args = parse(words, &flags)?;
    let mut change = ResourceChange::default();
    if let Some(r) = args.get("requests") {
        resource_list(
            "--requests",
            r,
            &mut change.requests,
            &mut change.requests_given,
        )?;
    }
    if let Some(l) = args.get("limits") {
        resource_list("--limits", l, &mut change.limits, &mut change.limits_given)?;
    }
    if change.requests_given.is_empty() && change.limits_given.is_empty() {
        return Err(
            "you must specify an update to requests or limits (in the form of --requests/--limits)"
                .into(),
        );
    }
    let containers = args
        .get("containers")
        .filter(|c| *c != "*")
        .map(str::to_string);
    let targets = targets(&args, env, &TEMPLATED, "set resources", true)?;
    Ok(Command::SetResources {
        targets,
        containers,
        change,
    })
}

fn rollout(words: &[String], env: &Env) -> Result<Command, String> {
    const SUBS: [&str; 4] = ["restart", "undo", "pause", "resume"];
    let Some((sub, rest)) = words.split_first() else {
        return Err("kubectl rollout needs a subcommand: restart, undo, pause or resume".into());
    };
    if !SUBS.contains(&sub.as_str()) {
        return Err(unknown_command(sub, "kubectl rollout", &SUBS));
    }
    let args = parse(
        rest,
        &[NAMESPACE, SELECTOR, flag("to-revision", None, true)],
    )?;
    // restart rewrites a template, which DaemonSets and StatefulSets have too; undo, pause
    // and resume are kubesim's for Deployments.
    let kinds: &[Resource] = match sub.as_str() {
        "restart" => &[
            Resource::Deployment,
            Resource::DaemonSet,
            Resource::StatefulSet,
        ],
        _ => &[Resource::Deployment],
    };
    let targets = targets(&args, env, kinds, &format!("rollout {sub}"), true)?;
    Ok(match sub.as_str() {
        "restart" => Command::RolloutRestart(targets),
        "pause" => Command::RolloutPause(targets),
        "resume" => Command::RolloutResume(targets),
        _ => {
            let to_revision =
                match args.get("to-revision") {
                    None | Some("0") => None,
                    Some(r) => Some(r.parse::<u64>().map_err(|_| {
                        format!("invalid argument {r:?} for \"--to-revision\" flag")
                    })?),
                };
            Command::RolloutUndo {
                targets,
                to_revision,
            }
        }
    })
}

/// `--grace-period` (seconds; negative means the pod's own) and `--now` (1 s), ms.
fn grace(args: &Args) -> Result<Option<i64>, String> {
    if args.on("now")? {
        return Ok(Some(1_000));
    }
    match args.get("grace-period") {
        None => Ok(None),
        Some(g) => {
            let s: i64 = g
                .parse()
                .map_err(|_| format!("invalid argument {g:?} for \"--grace-period\" flag"))?;
            Ok((s >= 0).then_some(s * 1_000))
        }
    }
}

fn delete(words: &[String], env: &Env) -> Result<Command, String> {
    let flags = [
        NAMESPACE,
        SELECTOR,
        ALL,
        flag("grace-period", None, true),
        flag("now", None, false),
        flag("force", None, false),
        flag("wait", None, false),
        flag("cascade", None, true),
    ];
    let args = parse(words, &flags)?;
    let orphan = match args.get("cascade") {
        None | Some("background") | Some("foreground") | Some("true") => false,
        Some("orphan") | Some("false") => true,
        Some(o) => {
            return Err(format!(
                "invalid cascade value ({o}). Must be \"background\", \"foreground\", or \"orphan\""
            ));
        }
    };
    let force = args.on("force")?;
    let mut grace_ms = grace(&args)?;
    match grace_ms {
        // `--grace-period=0` without `--force` means 1 s (kubectl's delete.go).
        Some(0) if !force => grace_ms = Some(1_000),
        None if force => grace_ms = Some(0),
        _ => {}
    }
    let allowed = [
        Resource::Pod,
        Resource::Deployment,
        Resource::ReplicaSet,
        Resource::ReplicationController,
        Resource::DaemonSet,
        Resource::StatefulSet,
    ];
    let targets = targets(&args, env, &allowed, "delete", true)?;
    Ok(Command::Delete {
        targets,
        grace_ms,
        orphan,
    })
}

/// The one node of `cordon`, `uncordon` or `drain` (`NODE` or `node/NODE`).
fn one_node(args: &Args, env: &Env, verb: &str) -> Result<String, String> {
    let [word] = args.positional.as_slice() else {
        return Err(format!(
            "{verb} takes one node name, got {}",
            args.positional.len()
        ));
    };
    let name = match word.split_once('/') {
        Some((t, n)) if Resource::parse(t) == Some(Resource::Node) => n,
        Some(_) => return Err(format!("{verb} works on nodes, got {word:?}")),
        None => word,
    };
    env.known.check(&ObjectRef {
        resource: Resource::Node,
        namespace: String::new(),
        name: name.to_string(),
    })?;
    Ok(name.to_string())
}

fn drain(words: &[String], env: &Env) -> Result<Command, String> {
    let flags = [
        NAMESPACE,
        flag("ignore-daemonsets", None, false),
        flag("delete-emptydir-data", None, false),
        flag("delete-local-data", None, false),
        flag("force", None, false),
        flag("grace-period", None, true),
        flag("timeout", None, true),
        flag("disable-eviction", None, false),
    ];
    let args = parse(words, &flags)?;
    let timeout_ms = match args.get("timeout") {
        None | Some("0") | Some("0s") => None,
        Some(t) => Some(
            parse_duration_ms(t)
                .map_err(|e| format!("invalid argument {t:?} for \"--timeout\" flag: {e}"))?,
        ),
    };
    Ok(Command::Drain(Drain {
        node: one_node(&args, env, "drain")?,
        ignore_daemonsets: args.on("ignore-daemonsets")?,
        force: args.on("force")?,
        grace_ms: grace(&args)?,
        timeout_ms,
        disable_eviction: args.on("disable-eviction")?,
    }))
}

/// `label` and `annotate`: objects, then `key=value` and `key-` words.
fn meta_edit(verb: &str, words: &[String], env: &Env) -> Result<Command, String> {
    let mut args = parse(
        words,
        &[NAMESPACE, SELECTOR, ALL, flag("overwrite", None, false)],
    )?;
    let split = args
        .positional
        .iter()
        .position(|w| {
            w.contains('=') || (w.ends_with('-') && !w.contains('/') && args.positional.len() > 1)
        })
        .unwrap_or(args.positional.len());
    let edits = args.positional.split_off(split);
    if edits.is_empty() {
        return Err(format!(
            "at least one {} update is required",
            if verb == "label" {
                "label"
            } else {
                "annotation"
            }
        ));
    }
    let mut edit = MetaEdit {
        overwrite: args.on("overwrite")?,
        ..MetaEdit::default()
    };
    for e in &edits {
        if let Some((k, v)) = e.split_once('=') {
            validate_label_key(k).map_err(|m| format!("invalid {verb} spec: {e}: {m}"))?;
            if verb == "label" {
                validate_label_value(v).map_err(|m| format!("invalid label spec: {e}: {m}"))?;
            }
            edit.set.push((k.to_string(), v.to_string()));
        } else if let Some(k) = e.strip_suffix('-') {
            edit.remove.push(k.to_string());
        } else {
            return Err(format!("invalid {verb} format: {e}"));
        }
    }
    let allowed = [
        Resource::Pod,
        Resource::Node,
        Resource::Deployment,
        Resource::ReplicaSet,
        Resource::ReplicationController,
        Resource::DaemonSet,
        Resource::StatefulSet,
    ];
    let targets = targets(&args, env, &allowed, verb, true)?;
    Ok(if verb == "label" {
        Command::Label(targets, edit)
    } else {
        Command::Annotate(targets, edit)
    })
}

/// `taint NODE key[=value]:Effect ... key[:Effect]-`.
fn taint(words: &[String], env: &Env) -> Result<Command, String> {
    let mut args = parse(words, &[SELECTOR, ALL, flag("overwrite", None, false)])?;
    let split = args
        .positional
        .iter()
        .position(|w| {
            w.contains(':') || w.contains('=') || (w.ends_with('-') && args.positional.len() > 1)
        })
        .unwrap_or(args.positional.len());
    let specs = args.positional.split_off(split);
    if specs.is_empty() {
        return Err("at least one taint update is required".into());
    }
    if args.positional.len() == 1 && !args.positional[0].contains('/') {
        args.positional.insert(0, "node".into()); // `taint NODE ...`: kubectl reads `taint nodes NODE`
    }
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    for s in &specs {
        if let Some(r) = s.strip_suffix('-') {
            let (key, effect) = match r.split_once(':') {
                Some((k, e)) => (
                    k,
                    Some(TaintEffect::parse(e).ok_or_else(|| {
                        format!("invalid taint effect: {e}, unsupported taint effect")
                    })?),
                ),
                None => (r, None),
            };
            remove.push((key.to_string(), effect));
            continue;
        }
        let (kv, effect) = s
            .split_once(':')
            .ok_or_else(|| format!("invalid taint spec: {s}"))?;
        let effect = TaintEffect::parse(effect)
            .ok_or_else(|| format!("invalid taint effect: {effect}, unsupported taint effect"))?;
        let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
        validate_label_key(key).map_err(|m| format!("invalid taint spec: {s}, {m}"))?;
        add.push(Taint {
            key: key.to_string(),
            value: value.to_string(),
            effect,
            time_added: None,
        });
    }
    let nodes = targets(&args, env, &[Resource::Node], "taint", true)?;
    Ok(Command::Taint {
        nodes,
        add,
        remove,
        overwrite: args.on("overwrite")?,
    })
}
