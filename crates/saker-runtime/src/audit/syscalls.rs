//! Syscall numbers → names per audit architecture.
//!
//! `SYSCALL` records carry `arch=` (`AUDIT_ARCH_*` from `linux/audit.h`)
//! and the number; numbers differ between architectures (aarch64 has no
//! `open`, `unlink` or `rename`). The tables are generated from the kernel
//! UAPI headers (`tools/gen_syscalls.py`).

#[path = "syscalls_table.rs"]
mod table;

/// An audit architecture saker knows the syscall table of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    /// `AUDIT_ARCH_X86_64` = `c000003e` (`-F arch=b64` on x86_64).
    X86_64,
    /// `AUDIT_ARCH_AARCH64` = `c00000b7` (Graviton).
    Aarch64,
}

impl Arch {
    /// The architecture of an `arch=` value.
    pub fn from_audit(arch: u64) -> Option<Arch> {
        match arch {
            0xc000_003e => Some(Arch::X86_64),
            0xc000_00b7 => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// `x86_64` / `aarch64` (as `uname -m` and ENRICHED `ARCH=` write them).
    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// Parse `x86_64`/`amd64`, `aarch64`/`arm64`.
    pub fn parse(s: &str) -> Option<Arch> {
        match s {
            "x86_64" | "amd64" => Some(Arch::X86_64),
            "aarch64" | "arm64" => Some(Arch::Aarch64),
            _ => None,
        }
    }

    /// The architecture this binary runs on.
    pub fn host() -> Option<Arch> {
        Arch::parse(std::env::consts::ARCH)
    }

    fn table(self) -> &'static [(u32, &'static str)] {
        match self {
            Arch::X86_64 => table::X86_64,
            Arch::Aarch64 => table::AARCH64,
        }
    }

    /// The name of syscall `nr`.
    pub fn syscall_name(self, nr: u32) -> Option<&'static str> {
        let t = self.table();
        t.binary_search_by_key(&nr, |(n, _)| *n)
            .ok()
            .map(|i| t[i].1)
    }

    /// The number of syscall `name`, if this architecture has it.
    pub fn syscall_number(self, name: &str) -> Option<u32> {
        self.table()
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(nr, _)| *nr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_differ_per_arch() {
        assert_eq!(Arch::X86_64.syscall_name(257), Some("openat"));
        assert_eq!(Arch::Aarch64.syscall_name(56), Some("openat"));
        assert_eq!(Arch::X86_64.syscall_name(59), Some("execve"));
        assert_eq!(Arch::Aarch64.syscall_name(221), Some("execve"));
        assert_eq!(Arch::Aarch64.syscall_number("open"), None);
        assert_eq!(Arch::Aarch64.syscall_number("unlink"), None);
        assert_eq!(Arch::X86_64.syscall_number("renameat2"), Some(316));
        assert_eq!(Arch::from_audit(0xc00000b7), Some(Arch::Aarch64));
        assert_eq!(Arch::from_audit(0x40000003), None);
    }
}
