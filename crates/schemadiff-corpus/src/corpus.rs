//! The corpus layout (`../shared/corpus/README.md`): projects, versions, migrations, pairs.

use std::path::{Path, PathBuf};

/// One project folder.
pub struct Project {
    pub name: String,
    pub dir: PathBuf,
    pub versions: Vec<Version>,
    /// `upgrades.txt`: (old version dir, new version dir).
    pub pairs: Vec<(String, String)>,
    /// `extensions.txt`: extensions created first in both databases of check 2.
    pub extensions: Vec<String>,
}

/// One version folder `versions/<NN>-<sha10>/`.
pub struct Version {
    pub name: String,
    pub dir: PathBuf,
    /// The migration folders that existed at that commit, in order.
    pub migrations: Vec<String>,
}

impl Version {
    /// The schema as a user passes it: `schema/schema.prisma` when it is the only file, else
    /// the folder (a multi-file schema).
    pub fn schema(&self) -> PathBuf {
        let dir = self.dir.join("schema");
        let files = prisma_files(&dir);
        if files.len() == 1 {
            files[0].clone()
        } else {
            dir
        }
    }

    /// `prisma/pending.sql`, or `None` when Prisma failed (`pending.err`).
    pub fn pending(&self) -> Option<String> {
        std::fs::read_to_string(self.dir.join("prisma/pending.sql")).ok()
    }

    /// The text of migration `folder` as of this version.
    pub fn migration_text(&self, project: &Project, folder: &str) -> Result<String, String> {
        let changed = self
            .dir
            .join("migrations-changed")
            .join(folder)
            .join("migration.sql");
        let path = if changed.exists() {
            changed
        } else {
            project
                .dir
                .join("migrations")
                .join(folder)
                .join("migration.sql")
        };
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The migrations of this version in name order (the order a migration tool applies them).
    pub fn migrations_in_order(&self) -> Vec<String> {
        let mut m = self.migrations.clone();
        m.sort();
        m
    }

    /// Writes "the migrations as of this version" as a migrations folder under `into`.
    pub fn write_migrations(&self, project: &Project, into: &Path) -> Result<PathBuf, String> {
        let dir = into.join("migrations");
        for folder in &self.migrations {
            let d = dir.join(folder);
            std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
            std::fs::write(
                d.join("migration.sql"),
                self.migration_text(project, folder)?,
            )
            .map_err(|e| format!("{}: {e}", d.display()))?;
        }
        Ok(dir)
    }
}

fn prisma_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(prisma_files(&p));
            } else if p.extension().is_some_and(|x| x == "prisma") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

/// Reads every project folder (one with a `versions/` folder) under `root`, sorted by name.
pub fn read(root: &Path) -> Result<Vec<Project>, String> {
    let entries = std::fs::read_dir(root)
        .map_err(|e| format!("cannot read the corpus {}: {e}", root.display()))?;
    let mut projects = Vec::new();
    for e in entries.flatten() {
        let dir = e.path();
        if !dir.join("versions").is_dir() {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        let mut versions = Vec::new();
        for v in std::fs::read_dir(dir.join("versions"))
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .flatten()
        {
            let vdir = v.path();
            if !vdir.join("schema").is_dir() {
                continue;
            }
            versions.push(Version {
                name: v.file_name().to_string_lossy().into_owned(),
                migrations: lines(&vdir.join("migrations.txt")),
                dir: vdir,
            });
        }
        versions.sort_by(|a, b| a.name.cmp(&b.name));
        let mut pairs = Vec::new();
        for l in lines(&dir.join("upgrades.txt")) {
            let mut it = l.split_whitespace();
            match (it.next(), it.next()) {
                (Some(a), Some(b)) => pairs.push((a.to_string(), b.to_string())),
                _ => return Err(format!("{}/upgrades.txt: bad line `{l}`", dir.display())),
            }
        }
        projects.push(Project {
            extensions: lines(&dir.join("extensions.txt")),
            name,
            dir,
            versions,
            pairs,
        });
    }
    projects.sort_by(|a, b| a.name.cmp(&b.name));
    if projects.is_empty() {
        return Err(format!(
            "no project (a folder with versions/) under {}",
            root.display()
        ));
    }
    Ok(projects)
}
