//! `scenarios/pod-lifecycle.yaml`: init containers, a sidecar, probes, pull policies and an
//! Indexed Job, checked in the run's own files.

mod common;

use common::{read, repo, row, run};

/// The events of one object, as `reason message` lines with their time.
fn events_of(events: &str, object: &str) -> Vec<String> {
    events
        .lines()
        .filter(|l| l.contains(&format!(",{object},")))
        .map(|l| {
            let f: Vec<&str> = l.splitn(5, ',').collect();
            format!(
                "{} {} {}",
                f[0],
                f[2],
                f[4].trim_matches('"').replace("\"\"", "\"")
            )
        })
        .collect()
}

#[test]
fn init_containers_sidecar_and_probes_in_the_event_log() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&repo("scenarios/pod-lifecycle.yaml"), &out, &[]);
    let events = read(&out, "events.csv");
    let web: Vec<String> = events_of(&events, "Pod/default/web")
        .into_iter()
        .filter(|l| {
            !l.contains(" Scheduled ") && !l.contains(" Pulling ") && !l.contains(" Pulled ")
        })
        .collect();
    assert_eq!(
        web,
        [
            // migrate: pulled in 8 s, started 1 s later, runs 20 s.
            "8.000 Created Created container: migrate",
            "9.000 Started Started container migrate",
            // envoy: pulled, started; its startup probe passes at once.
            "37.000 Created Created container: envoy",
            "38.000 Started Started container envoy",
            // web starts at 47 s and answers at 72 s; probes every 10 s after a 5 s delay.
            "46.000 Created Created container: web",
            "47.000 Started Started container web",
            "57.000 Unhealthy Readiness probe failed: the application is not answering yet",
            "67.000 Unhealthy Readiness probe failed: the application is not answering yet",
        ]
    );
    let pods = read(&out, "pods.csv");
    let header: Vec<&str> = pods.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let web = row(&pods, "web");
    assert_eq!(web[col("started_s")], "47.000");
    assert_eq!(web[col("ready_s")], "77.000", "the probe at 77 s passes");
    let offline = row(&pods, "offline");
    assert_eq!(offline[col("phase")], "Pending");
    assert!(events.contains(
        "Warning,ErrImageNeverPull,Pod/default/offline,\"Container image \"\"registry.example.com/offline:2.0\"\" is not present with pull policy of Never\""
    ));
}

#[test]
fn an_indexed_job_names_its_pods_by_index_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&repo("scenarios/pod-lifecycle.yaml"), &out, &[]);
    let events = read(&out, "events.csv");
    let created: Vec<&str> = events
        .lines()
        .filter(|l| l.contains("SuccessfulCreate,Job/default/indexed-job"))
        .map(|l| l.rsplit("Created pod: ").next().unwrap())
        .collect();
    assert_eq!(created.len(), 5, "{created:?}");
    for (i, name) in created.iter().enumerate() {
        assert!(name.starts_with(&format!("indexed-job-{i}-")), "{name}");
        assert_eq!(name.len(), "indexed-job-0-".len() + 5, "{name}");
    }
    assert!(events.contains("Normal,Completed,Job/default/indexed-job,Job completed"));
    // Three at a time: indexes 3 and 4 start only after the first pods finish.
    let first_of = |i: usize| -> f64 {
        let line = events
            .lines()
            .find(|l| l.contains(&format!("Created pod: {}", created[i])))
            .unwrap();
        line.split(',').next().unwrap().parse().unwrap()
    };
    assert_eq!(first_of(2), 0.0);
    assert!(first_of(3) > 20.0);
}
