//! Offline machine translation with the Apertium command-line tool.
//!
//! Runs `apertium -u MODE` (`-u`: no `*`/`#`/`@` marks on unknown words) and feeds it the
//! segments on stdin, one segment per line. Because Apertium reads its input as one running
//! text, a blank line is put between two segments: it is a paragraph break, so the tagger's
//! context does not leak from one segment into the next, and the blank lines come back in
//! the output, which is how the output lines are matched with the inputs. Newlines inside a
//! segment are replaced by spaces first (a segment must stay one line), empty segments are
//! not sent, and the leading/trailing whitespace of each output line is replaced by that
//! of its source segment.
//!
//! Each run has a time limit (the translator timeout); a run over it is killed. The list of
//! installed modes (`apertium -l`) is cached for a minute.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use futures_util::future::BoxFuture;

use super::{TranslateError, Translator, primary_subtag};

/// Supported language pairs: (source language, target language, Apertium mode).
pub const PAIRS: &[(&str, &str, &str)] = &[
    ("en", "es", "eng-spa"),
    ("en", "ca", "eng-cat"),
    ("en", "gl", "en-gl"),
];

/// The Apertium mode translating `source` into `target`, matched on the language subtag.
pub fn mode_for(source: &str, target: &str) -> Option<&'static str> {
    let (s, t) = (primary_subtag(source), primary_subtag(target));
    PAIRS
        .iter()
        .find(|(ps, pt, _)| *ps == s && *pt == t)
        .map(|(_, _, mode)| *mode)
}

impl ApertiumTranslator {
    /// `apertium -l`, read at most once per [`MODES_TTL`].
    async fn installed_modes(&self) -> Result<Arc<HashSet<String>>, TranslateError> {
        if let Ok(cached) = self.modes.lock()
            && let Some((at, modes)) = cached.as_ref()
            && at.elapsed() < MODES_TTL
        {
            return Ok(modes.clone());
        }
        let listed = self.run(vec!["-l".into()], String::new()).await?;
        let modes: Arc<HashSet<String>> = Arc::new(
            String::from_utf8_lossy(&listed.stdout)
                .lines()
                .map(|line| line.trim().to_owned())
                .filter(|line| !line.is_empty())
                .collect(),
        );
        if let Ok(mut cached) = self.modes.lock() {
            *cached = Some((Instant::now(), modes.clone()));
        }
        Ok(modes)
    }
}

/// The Apertium provider ("apertium").
/// How long the list of installed modes is trusted.
const MODES_TTL: Duration = Duration::from_secs(60);

/// The installed modes and when they were listed.
type ModeCache = Arc<Mutex<Option<(Instant, Arc<HashSet<String>>)>>>;

#[derive(Debug, Clone)]
pub struct ApertiumTranslator {
    binary: PathBuf,
    timeout: Duration,
    modes: ModeCache,
}

impl ApertiumTranslator {
    /// A translator running the `apertium` executable at `binary` (a bare name is looked up
    /// in `PATH`), each run killed after `timeout`.
    pub fn new(binary: PathBuf, timeout: Duration) -> Self {
        Self {
            binary,
            timeout,
            modes: Arc::default(),
        }
    }

    /// Runs the binary with `args`, feeding `input` on stdin; kills it after the timeout.
    async fn run(&self, args: Vec<String>, input: String) -> Result<Output, TranslateError> {
        let shown = self.binary.display().to_string();
        let mut child = Command::new(&self.binary)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                TranslateError::Provider(format!("cannot run apertium at {shown}: {e}"))
            })?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| TranslateError::Provider("apertium has no stdin pipe".into()))?;
        // Written while the output is read, so that a full stdout pipe cannot deadlock us.
        let write = async move {
            let written = stdin.write_all(input.as_bytes()).await;
            drop(stdin);
            written
        };
        let run = async { tokio::join!(write, child.wait_with_output()) };
        let (written, output) = tokio::time::timeout(self.timeout, run).await.map_err(|_| {
            TranslateError::Provider(format!(
                "apertium did not finish within {} s (killed)",
                self.timeout.as_secs_f64()
            ))
        })?;
        let output = output
            .map_err(|e| TranslateError::Provider(format!("apertium at {shown} failed: {e}")))?;
        if let Err(error) = written
            && error.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(TranslateError::Provider(format!(
                "writing to apertium failed: {error}"
            )));
        }
        if output.status.success() {
            return Ok(output);
        }
        let detail = String::from_utf8_lossy(if output.stderr.is_empty() {
            &output.stdout
        } else {
            &output.stderr
        });
        let detail: String = detail.trim().chars().take(300).collect();
        Err(TranslateError::Provider(format!(
            "apertium exited with {}: {detail}",
            output.status
        )))
    }

    /// The mode for the pair, after checking that `apertium -l` lists it as installed.
    async fn installed_mode(
        &self,
        source: &str,
        target: &str,
    ) -> Result<&'static str, TranslateError> {
        let unsupported = |reason: String| TranslateError::UnsupportedLocale {
            target: target.to_owned(),
            reason,
        };
        let Some(mode) = mode_for(source, target) else {
            let known: Vec<String> = PAIRS.iter().map(|(s, t, _)| format!("{s}→{t}")).collect();
            return Err(unsupported(format!(
                "Apertium has no language pair for {source}→{target} here (supported: {})",
                known.join(", ")
            )));
        };
        if self.installed_modes().await?.contains(mode) {
            Ok(mode)
        } else {
            Err(unsupported(format!(
                "the Apertium mode '{mode}' is not installed (install the matching apertium language package)"
            )))
        }
    }
}

/// `text` with its leading and trailing whitespace replaced by those of `like`.
fn with_whitespace_of(text: &str, like: &str) -> String {
    let lead = &like[..like.len() - like.trim_start().len()];
    let trail = &like[like.trim_end().len()..];
    format!("{lead}{}{trail}", text.trim())
}

impl Translator for ApertiumTranslator {
    fn provider(&self) -> &'static str {
        "apertium"
    }

    fn translate<'a>(
        &'a self,
        source: &'a str,
        target: &'a str,
        texts: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<String>, TranslateError>> {
        Box::pin(async move {
            if texts.is_empty() {
                return Ok(Vec::new());
            }
            let mode = self.installed_mode(source, target).await?;
            let lines: Vec<String> = texts
                .iter()
                .map(|t| t.replace("\r\n", " ").replace(['\n', '\r'], " "))
                .collect();
            let sent: Vec<usize> = (0..lines.len())
                .filter(|&i| !lines[i].trim().is_empty())
                .collect();
            if sent.is_empty() {
                return Ok(lines);
            }
            let mut input = sent
                .iter()
                .map(|&i| lines[i].as_str())
                .collect::<Vec<_>>()
                .join("\n\n");
            input.push('\n');
            let output = self.run(vec!["-u".into(), mode.into()], input).await?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            let mut got: Vec<&str> = stdout.trim_end_matches(['\n', '\r']).split('\n').collect();
            let separators_blank = got.iter().skip(1).step_by(2).all(|l| l.trim().is_empty());
            if got.len() != 2 * sent.len() - 1 || !separators_blank {
                return Err(TranslateError::Mismatch {
                    expected: sent.len(),
                    got: got.len().div_ceil(2),
                });
            }
            got = got.into_iter().step_by(2).collect();
            let mut out = lines;
            for (&i, translated) in sent.iter().zip(got) {
                out[i] = with_whitespace_of(translated, &out[i]);
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    /// Whether the real engine can be tested; with `REQUIRE_APERTIUM` set (as `.ci/run`
    /// sets it) a missing engine fails the test instead of skipping it.
    fn apertium_present() -> bool {
        let found = Command::new("apertium").arg("-l").output().is_ok();
        assert!(
            found || std::env::var_os("REQUIRE_APERTIUM").is_none(),
            "REQUIRE_APERTIUM is set but the apertium binary is missing"
        );
        if !found {
            println!(
                "SKIPPED: the `apertium` binary is not installed (apt-get install apertium apertium-eng-spa)"
            );
        }
        found
    }

    #[tokio::test]
    async fn translates_english_to_spanish_for_real() {
        if !apertium_present() {
            return;
        }
        let t = ApertiumTranslator::new("apertium".into(), Duration::from_secs(60));
        let texts = vec![
            "Hello world".to_owned(),
            "I have __PH0__ apples".to_owned(),
            String::new(),
            "The house\nis big".to_owned(),
        ];
        let out = t.translate("en", "es", &texts).await;
        println!("apertium en→es: {texts:?} -> {out:?}");
        let out = out.expect("apertium translation");
        assert_eq!(out.len(), 4);
        assert!(
            out[0].contains("Hola") || out[0].to_lowercase().contains("mundo"),
            "{}",
            out[0]
        );
        assert!(
            out[1].contains("__PH0__") && out[1].contains("manzanas"),
            "{}",
            out[1]
        );
        assert!(!out[1].starts_with(' '), "{:?}", out[1]);
        assert_eq!(out[2], "");
        assert!(
            out[3].contains("casa") && !out[3].contains('\n'),
            "{}",
            out[3]
        );

        // `-u` keeps unknown words unmarked (without it: "Hola *gorblex Mundo").
        let unknown = t
            .translate("en", "es", &["Hello gorblex world".to_owned()])
            .await;
        println!("apertium en→es unknown word: {unknown:?}");
        assert!(unknown.is_ok_and(|v| v[0].contains("gorblex") && !v[0].contains(['*', '#', '@'])));

        let ca = t.translate("en-US", "ca", &texts[..1]).await;
        println!("apertium en→ca: {ca:?}");
        assert!(ca.is_ok_and(|v| v[0].contains("món")));
    }

    #[tokio::test]
    async fn unmapped_pair_is_unsupported_locale() {
        let t = ApertiumTranslator::new("apertium".into(), Duration::from_secs(60));
        let err = t.translate("en", "ja", &["Hello".to_owned()]).await;
        assert!(
            matches!(&err, Err(TranslateError::UnsupportedLocale { target, reason }) if target == "ja" && reason.contains("no language pair")),
            "{err:?}"
        );
    }

    fn fake_apertium(listed: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fake-apertium-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("apertium");
        let script = format!(
            "#!/bin/sh\nPATH=/usr/bin:/bin\nif [ \"$1\" = -l ]; then echo '  {listed}'; exit 0; fi\n[ \"$1\" = -u ] || exit 3\ntr a-z A-Z\n"
        );
        std::fs::write(&path, script).expect("write script");
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        // Another test thread forking while the file was open for writing makes exec fail
        // with ETXTBSY for a moment; wait until it runs.
        for _ in 0..50 {
            if Command::new(&path).arg("-l").output().is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        path
    }

    #[tokio::test]
    async fn line_protocol_with_a_fake_binary() {
        let bin = fake_apertium("eng-spa");
        let t = ApertiumTranslator::new(bin.clone(), Duration::from_secs(60));
        let texts = vec![
            " two\nlines ".to_owned(),
            "   ".to_owned(),
            "__PH0__ x".to_owned(),
        ];
        let out = t.translate("en", "es", &texts).await;
        assert_eq!(
            out,
            Ok(vec![
                " TWO LINES ".to_owned(),
                "   ".to_owned(),
                "__PH0__ X".to_owned()
            ])
        );

        let missing = t.translate("en", "gl", &texts).await;
        assert!(
            matches!(&missing, Err(TranslateError::UnsupportedLocale { reason, .. }) if reason.contains("'en-gl' is not installed")),
            "{missing:?}"
        );
        let _ = std::fs::remove_dir_all(bin.parent().unwrap_or(Path::new("/nonexistent")));
    }

    #[tokio::test]
    async fn a_hung_engine_is_killed_at_the_timeout_and_modes_are_listed_once() {
        let dir = std::env::temp_dir().join(format!("slow-apertium-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (bin, calls) = (dir.join("apertium"), dir.join("listed"));
        let script = format!(
            "#!/bin/sh\nPATH=/usr/bin:/bin\nif [ \"$1\" = -l ]; then echo x >> {}; echo '  eng-spa'; exit 0; fi\nexec sleep 30\n",
            calls.display()
        );
        std::fs::write(&bin, script).expect("write script");
        std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        for _ in 0..50 {
            if Command::new(&bin).arg("-l").output().is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_file(&calls);
        let t = ApertiumTranslator::new(bin.clone(), Duration::from_millis(300));
        for _ in 0..2 {
            let started = Instant::now();
            let err = t.translate("en", "es", &["Hi".to_owned()]).await;
            assert!(
                matches!(&err, Err(TranslateError::Provider(m)) if m.contains("did not finish")),
                "{err:?}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "killed, not waited for"
            );
        }
        let listed = std::fs::read_to_string(&calls).unwrap_or_default();
        assert_eq!(
            listed.lines().count(),
            1,
            "`apertium -l` ran once for two translations"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn missing_binary_is_a_provider_error() {
        let t = ApertiumTranslator::new("/nonexistent/apertium".into(), Duration::from_secs(60));
        let err = t.translate("en", "es", &["Hi".to_owned()]).await;
        assert!(
            matches!(&err, Err(TranslateError::Provider(m)) if m.contains("cannot run apertium")),
            "{err:?}"
        );
    }
}
