//! Path-prefix search for the `pmatch` operator (libsinsp `prefix_search.h`,
//! `path_prefix_map`).
//!
//! `value pmatch (p1, p2, …)` is true when some `pi` is a prefix of `value`
//! **by whole `/` components**: `/var/run` matches `/var/run` and
//! `/var/run/docker`, not `/var/running` nor `/var`. Paths are split on `/`
//! with empty components skipped (`/a//b` = `a/b` = `/a/b`). A search-path
//! component containing `?`, `*` or `[` is an fnmatch pattern for that one
//! component ([`crate::glob`]). Adding a shorter path drops longer ones
//! below it, as libsinsp does.
//!
//! Quirk reproduced: when scanning the wildcard components of one level,
//! libsinsp advances its component cursor on every wildcard that matched,
//! even if the sub-search below it then failed, so a later wildcard at the
//! same level is compared with the *next* component.

use std::collections::HashMap;

use crate::glob::Glob;

/// A set of search paths.
#[derive(Debug, Clone, Default)]
pub struct PathPrefixSearch {
    root: Level,
}

#[derive(Debug, Clone, Default)]
struct Level {
    dirs: HashMap<String, Entry>,
    globs: Vec<(Glob, String, Entry)>,
}

#[derive(Debug, Clone)]
struct Entry {
    sub: Option<Box<Level>>,
    terminal: bool,
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    // libsinsp prepends a dummy "root" component so "/" is non-empty.
    std::iter::once("root").chain(path.split('/').filter(|c| !c.is_empty()))
}

impl PathPrefixSearch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one search path.
    pub fn add(&mut self, path: &str) {
        let comps: Vec<&str> = split(path).collect();
        self.root.add(&comps);
    }

    /// Whether some search path is a component-wise prefix of `path`.
    pub fn matches(&self, path: &str) -> bool {
        let comps: Vec<&str> = split(path).collect();
        self.root.matches(&comps)
    }
}

impl Level {
    fn add(&mut self, comps: &[&str]) {
        let (cur, rest) = match comps.split_first() {
            Some(x) => x,
            None => return,
        };
        let is_glob = cur.contains(['?', '*', '[']);
        let existing = if is_glob {
            self.globs
                .iter_mut()
                .find(|(_, k, _)| k == cur)
                .map(|(_, _, e)| e)
        } else {
            self.dirs.get_mut(*cur)
        };
        match existing {
            None => {
                let sub = if rest.is_empty() {
                    None
                } else {
                    let mut l = Level::default();
                    l.add(rest);
                    Some(Box::new(l))
                };
                let e = Entry {
                    sub,
                    terminal: rest.is_empty(),
                };
                if is_glob {
                    self.globs.push((Glob::new(cur, false), cur.to_string(), e));
                } else {
                    self.dirs.insert(cur.to_string(), e);
                }
            }
            Some(e) => {
                if rest.is_empty() {
                    e.sub = None;
                    e.terminal = true;
                } else if let Some(sub) = e.sub.as_mut() {
                    sub.add(rest);
                }
                // else: a shorter path already covers this one.
            }
        }
    }

    fn matches(&self, comps: &[&str]) -> bool {
        let Some(cur) = comps.first() else {
            return false;
        };
        if let Some(e) = self.dirs.get(*cur) {
            if e.check(&comps[1..]) {
                return true;
            }
        }
        let mut idx = 0usize;
        for (g, _, e) in &self.globs {
            let Some(c) = comps.get(idx) else {
                break;
            };
            if g.is_match(c) {
                idx += 1;
                if e.check(&comps[idx..]) {
                    return true;
                }
            }
        }
        false
    }
}

impl Entry {
    fn check(&self, rest: &[&str]) -> bool {
        match (&self.sub, rest.is_empty()) {
            (None, _) => self.terminal,
            (Some(_), true) => false,
            (Some(sub), false) => sub.matches(rest),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(paths: &[&str]) -> PathPrefixSearch {
        let mut p = PathPrefixSearch::new();
        for x in paths {
            p.add(x);
        }
        p
    }

    #[test]
    fn libsinsp_examples() {
        let p = s(&["/var/run", "/etc", "/lib", "/usr/lib"]);
        assert!(p.matches("/var/run/docker"));
        assert!(p.matches("/var/run"));
        assert!(!p.matches("/boot"));
        assert!(!p.matches("/var/lib/messages"));
        assert!(!p.matches("/var"));
        assert!(!p.matches("/var/running"));
        assert!(p.matches("//etc//passwd"));
    }

    #[test]
    fn shorter_paths_win_and_globs_work() {
        let p = s(&["/usr/lib", "/usr"]);
        assert!(p.matches("/usr/bin/x"));
        let g = s(&["/home/*/.ssh"]);
        assert!(g.matches("/home/alice/.ssh/id_rsa"));
        assert!(!g.matches("/home/alice/.aws"));
        let root = s(&["/"]);
        assert!(root.matches("/anything"));
    }
}
