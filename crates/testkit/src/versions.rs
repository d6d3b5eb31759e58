//! The PostgreSQL versions the tests run on besides the main server
//! ([`crate::POSTGRES_ENV`], the system's 15): servers named by
//! `DRIFTLESS_TEST_POSTGRES_URLS` as `14=postgres://…,16=postgres://…`, which
//! `scripts/test-postgres-versions` starts and `scripts/test` exports.

use std::future::Future;

/// The variable listing the other PostgreSQL versions' servers,
/// `MAJOR=URL` entries separated by commas.
pub const POSTGRES_VERSIONS_ENV: &str = "DRIFTLESS_TEST_POSTGRES_URLS";

/// The majors supported besides the main server's: each must be listed in
/// CI (`CI` set); elsewhere one left out is skipped with a note.
pub const OTHER_POSTGRES_MAJORS: [u32; 4] = [14, 16, 17, 18];

/// A PostgreSQL server of one major version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresServer {
    /// The major version the server must report (`server_version_num / 10000`).
    pub major: u32,
    /// The admin URL, as [`crate::postgres_server_url`]'s.
    pub url: String,
}

impl PostgresServer {
    /// A fresh database on this server (fails unless the server reports
    /// [`Self::major`]).
    pub async fn test_db(&self) -> crate::TestDb {
        crate::TestDb::postgres_at(&self.url, Some(self.major), POSTGRES_VERSIONS_ENV).await
    }
}

/// The other versions' servers: [`POSTGRES_VERSIONS_ENV`], by default the
/// ports `scripts/test-postgres-versions` uses (`543<major>`). A supported
/// major the variable leaves out fails in CI and is skipped elsewhere.
pub fn postgres_versions() -> Vec<PostgresServer> {
    let listed = match std::env::var(POSTGRES_VERSIONS_ENV) {
        Ok(list) => parse_versions(&list),
        Err(_) => OTHER_POSTGRES_MAJORS
            .iter()
            .map(|&major| PostgresServer {
                major,
                url: format!("postgres://root@127.0.0.1:543{major}/test"),
            })
            .collect(),
    };
    let missing: Vec<u32> = OTHER_POSTGRES_MAJORS
        .into_iter()
        .filter(|m| listed.iter().all(|s| s.major != *m))
        .collect();
    if !missing.is_empty() {
        let note = format!(
            "{POSTGRES_VERSIONS_ENV} lists no server for PostgreSQL {missing:?} (scripts/test-postgres-versions starts them)"
        );
        assert!(
            std::env::var_os("CI").is_none(),
            "{note}: CI tests every supported version"
        );
        eprintln!("skipped: {note}");
    }
    listed
}

/// `14=postgres://…,16=postgres://…` as servers; panics on a malformed entry.
fn parse_versions(list: &str) -> Vec<PostgresServer> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let parsed = entry
                .split_once('=')
                .and_then(|(major, url)| Some((major.trim().parse().ok()?, url.trim())));
            match parsed {
                Some((major, url)) if !url.is_empty() => PostgresServer {
                    major,
                    url: url.to_string(),
                },
                _ => panic!("{POSTGRES_VERSIONS_ENV}: `{entry}` is not MAJOR=URL"),
            }
        })
        .collect()
}

/// Runs `body` on every server of [`postgres_versions`], all at once; fails
/// naming each version whose run failed.
pub async fn on_every_postgres_version<F, Fut>(body: F)
where
    F: Fn(PostgresServer) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let runs: Vec<(u32, tokio::task::JoinHandle<()>)> = postgres_versions()
        .into_iter()
        .map(|server| (server.major, tokio::spawn(body(server))))
        .collect();
    let mut outcomes = Vec::new();
    for (major, run) in runs {
        let outcome = run.await.map_err(|e| match e.try_into_panic() {
            Ok(payload) => payload,
            Err(e) => Box::new(e.to_string()),
        });
        outcomes.push((major, outcome));
    }
    assert_all_passed(outcomes);
}

/// [`on_every_postgres_version`] for a blocking `body`, a thread per version.
pub fn each_postgres_version<F>(body: F)
where
    F: Fn(PostgresServer) + Sync,
{
    let body = &body;
    std::thread::scope(|scope| {
        let runs: Vec<_> = postgres_versions()
            .into_iter()
            .map(|server| (server.major, scope.spawn(move || body(server))))
            .collect();
        assert_all_passed(runs.into_iter().map(|(major, run)| (major, run.join())));
    });
}

type Outcome = Result<(), Box<dyn std::any::Any + Send>>;

/// Fails with the panic message of every version whose run panicked.
fn assert_all_passed(outcomes: impl IntoIterator<Item = (u32, Outcome)>) {
    let failed: Vec<String> = outcomes
        .into_iter()
        .filter_map(|(major, outcome)| {
            let payload = outcome.err()?;
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into());
            Some(format!("PostgreSQL {major}: {message}"))
        })
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_list() {
        let servers = parse_versions(" 14=postgres://a:1/t , 18=postgres://b/t?x=1,");
        assert_eq!(
            servers,
            vec![
                PostgresServer {
                    major: 14,
                    url: "postgres://a:1/t".into()
                },
                PostgresServer {
                    major: 18,
                    url: "postgres://b/t?x=1".into()
                },
            ]
        );
        assert!(parse_versions("").is_empty());
    }

    #[test]
    #[should_panic(expected = "`postgres://a/t` is not MAJOR=URL")]
    fn refuses_an_entry_without_its_major() {
        parse_versions("postgres://a/t");
    }
}
