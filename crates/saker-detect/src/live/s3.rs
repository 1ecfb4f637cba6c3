//! `saker detect s3://BUCKET[/PREFIX] [--follow]`.

use saker_ingest::aws::s3_client;
use saker_ingest::aws::s3_sdk::Client;
use saker_ingest::s3::fetch::Fetched;
use saker_ingest::s3::list::{follow_start, start_after, ScopeLister};
use saker_ingest::s3::{
    discover_scopes, fetch_objects, FetchError, ListLimits, ObjectRef, S3Url, Scope, ScopeFilter,
};
use saker_store::UnitId;

use super::{Live, LiveError, ProgressEvent};
use saker_cloudtrail::s3key::FileFilter;

impl Live<'_> {
    /// Read every CloudTrail object under `urls` not yet processed; with
    /// [`LiveOptions::follow`](super::LiveOptions::follow), keep polling
    /// until stopped.
    ///
    /// Each poll lists each account/region prefix from its follow position
    /// (minus [`FOLLOW_LOOKBACK_S`](saker_ingest::s3::list::FOLLOW_LOOKBACK_S)),
    /// so a poll costs one `ListObjectsV2` call per prefix plus one per new
    /// 1000 keys. Prefixes that cannot be listed and objects that cannot be
    /// downloaded are reported and retried on the next poll; the position of
    /// a prefix does not move past an object that failed.
    ///
    /// # Errors
    /// Sink and store failures stop the run (nothing more is acknowledged).
    pub fn run_s3(&mut self, urls: &[S3Url]) -> Result<(), LiveError> {
        let client = s3_client(&self.config);
        let f = &self.opts.detect.file_filter;
        let scope_filter = ScopeFilter {
            accounts: f.accounts.clone(),
            regions: f.regions.clone(),
            include_insights: self.opts.detect.decode.evaluate_insights,
        };
        let limits = ListLimits {
            since_s: f.since_s,
            until_s: f.until_s.map(|u| u.saturating_add(FileFilter::SLACK_S)),
        };
        loop {
            for url in urls {
                let (scopes, errors) =
                    self.rt
                        .block_on(discover_scopes(&client, url, &scope_filter));
                for e in errors {
                    self.warn(&format!("cannot list {e}"));
                    self.summary.unit_errors.push(e.to_string());
                }
                for scope in &scopes {
                    if self.stopped() {
                        break;
                    }
                    self.read_scope(&client, scope, &limits)?;
                }
            }
            self.tick_tap(false)?;
            self.flush_sinks()?;
            self.report(ProgressEvent::Poll);
            let Some(pause) = self.opts.follow else { break };
            if self.stopped() {
                break;
            }
            let stop = self.stop.clone();
            self.rt.block_on(stop.sleep(pause));
            if self.stopped() {
                break;
            }
        }
        self.tick_tap(true)?;
        self.flush_sinks()?;
        Ok(())
    }

    /// One pass over one scope, from its follow position.
    fn read_scope(
        &mut self,
        client: &Client,
        scope: &Scope,
        limits: &ListLimits,
    ) -> Result<(), LiveError> {
        let scope_name = scope.name();
        let position = self.lock_store().follow_position(&scope_name)?;
        let start = start_after(
            scope,
            position
                .as_deref()
                .map(|p| follow_start(scope, p))
                .as_deref(),
            limits,
        );
        let mut lister = ScopeLister::new(client, scope, start, limits);
        // Once an object failed, the position stays before it for this pass.
        let mut failed = false;
        loop {
            if self.stopped() {
                return Ok(());
            }
            let page = match self.rt.block_on(lister.next_page()) {
                Ok(Some(p)) => p,
                Ok(None) => return Ok(()),
                Err(e) => {
                    self.warn(&format!("cannot list {e}"));
                    self.summary.unit_errors.push(e.to_string());
                    return Ok(());
                }
            };
            let Some(page_last) = page.last().map(|o| o.key.clone()) else {
                continue;
            };
            let todo = self.select(page)?;
            // The next batch downloads while this one is evaluated.
            let mut batches = self.batches(todo).into_iter();
            let mut next = batches.next().map(|b| self.spawn_fetch(client, b));
            while let Some((download, batch_last)) = next.take() {
                let fetched = self.rt.block_on(download);
                next = batches.next().map(|b| self.spawn_fetch(client, b));
                match fetched {
                    Ok(fetched) => {
                        if !self.evaluate_objects(fetched)? {
                            failed = true;
                        }
                    }
                    Err(e) => {
                        self.warn(&format!("a download batch failed: {e}"));
                        failed = true;
                    }
                }
                if !failed {
                    self.lock_store()
                        .set_follow_position(&scope_name, &batch_last)?;
                }
                if self.stopped() {
                    if let Some((d, _)) = next.take() {
                        d.abort();
                    }
                    return Ok(());
                }
            }
            if !failed {
                self.lock_store()
                    .set_follow_position(&scope_name, &page_last)?;
            }
        }
    }

    /// The objects of a listing page that must be read: wanted by name and
    /// not processed before (same key and ETag).
    fn select(&mut self, page: Vec<ObjectRef>) -> Result<Vec<ObjectRef>, LiveError> {
        let mut todo = Vec::with_capacity(page.len());
        for obj in page {
            if !self.opts.detect.file_filter.accepts(&obj.key) {
                self.summary.units += 1;
                self.summary.units_filtered += 1;
                continue;
            }
            if self
                .lock_store()
                .is_processed(&UnitId::new(obj.name(), obj.etag.clone()))?
            {
                self.summary.units_done_before += 1;
                continue;
            }
            todo.push(obj);
        }
        Ok(todo)
    }

    /// Start downloading `batch`; returns the download and the batch's last key.
    fn spawn_fetch(&self, client: &Client, batch: Vec<ObjectRef>) -> (DownloadTask, String) {
        let last = batch.last().map(|o| o.key.clone()).unwrap_or_default();
        let client = client.clone();
        let opts = self.opts.fetch;
        let task = self
            .rt
            .spawn(async move { fetch_objects(&client, &batch, &opts).await });
        (task, last)
    }

    /// Split into batches of at most `batch_objects` objects and about
    /// `batch_bytes` bytes.
    fn batches(&self, objects: Vec<ObjectRef>) -> Vec<Vec<ObjectRef>> {
        let mut out: Vec<Vec<ObjectRef>> = Vec::new();
        let mut bytes = 0u64;
        for obj in objects {
            let full = out.last().is_none_or(|b| {
                b.len() >= self.opts.batch_objects.max(1)
                    || (!b.is_empty() && bytes + obj.size > self.opts.batch_bytes)
            });
            if full {
                out.push(Vec::new());
                bytes = 0;
            }
            bytes += obj.size;
            if let Some(b) = out.last_mut() {
                b.push(obj);
            }
        }
        out
    }

    /// Evaluate downloaded objects and mark each processed once its alerts
    /// are delivered. Returns `false` if any object could not be downloaded.
    pub(super) fn evaluate_objects(
        &mut self,
        fetched: Vec<Result<Fetched, FetchError>>,
    ) -> Result<bool, LiveError> {
        let mut all_ok = true;
        let mut units = Vec::with_capacity(fetched.len());
        let mut ids = Vec::with_capacity(fetched.len());
        for r in fetched {
            match r {
                Ok(f) => {
                    ids.push(UnitId::new(f.object.name(), f.object.etag.clone()));
                    units.push(f.unit);
                }
                Err(e) => {
                    all_ok = false;
                    self.warn(&format!("cannot download {e}"));
                    self.summary.units += 1;
                    self.summary.unit_errors.push(e.to_string());
                }
            }
        }
        let store = self.store.clone();
        self.evaluate(&units, &mut |i, stats| {
            store
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .mark_processed(&ids[i], stats)?;
            Ok(())
        })?;
        if !units.is_empty() {
            self.report(ProgressEvent::Batch);
        }
        Ok(all_ok)
    }
}

type DownloadTask = tokio::task::JoinHandle<Vec<Result<Fetched, FetchError>>>;
