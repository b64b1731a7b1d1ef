"""`dpdktune run --backend ssh`: the runtime of `--backend local` with l2fwd_tune on a testbed's DUT.

Everything but where the app runs is runtime/local_run.py's: the slow tier on this machine
chooses from what the app measures, publishes trees into it (runtime/ssh_app.py moves them),
checkpoints after each report and resumes after a kill. The testbed is the config's
`ssh.testbeds[]` entry named by --testbed (default: the first); the app runs on its DUT on
net_null, with the testbed's `memory_mb` and `no_huge`, and `local.runtime_workers` workers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dpdktune.runtime.local_run import LocalRun


class SshRun(LocalRun):
    backend = "ssh"

    def __init__(self, config: dict[str, Any], *args: Any, testbed: str | None = None, **kwargs: Any):
        from dpdktune.backends.remote import RemoteRunner
        from dpdktune.backends.ssh import parse_testbeds

        beds = parse_testbeds(config.get("ssh") or {})  # each bad value: one line naming its key
        if not beds:
            raise ValueError(
                "ssh.testbeds: no testbed configured; `dpdktune run --backend ssh` runs l2fwd_tune on a "
                "testbed's DUT (see config/testbeds.example.yaml)"
            )
        names = [b.name for b in beds]
        if testbed is not None and testbed not in names:
            raise ValueError(f"--testbed: {testbed!r} is not in ssh.testbeds {names}")
        self.bed_index = names.index(testbed) if testbed is not None else 0
        self.testbed = beds[self.bed_index]
        self.key = f"ssh.testbeds[{self.bed_index}]"
        super().__init__(config, *args, **kwargs)
        self.memory_mb = self.testbed.memory_mb
        self.runner = RemoteRunner(self.testbed.dut)
        self.cpus: list[int] | None = None

    def _dut(self) -> str:
        ep = self.testbed.dut
        return f"{ep.user}@{ep.host}:{ep.port}"

    def _where(self) -> dict[str, Any]:
        tb = self.testbed
        return {
            "workers": self.workers,
            "testbed": tb.name,
            "dut": self._dut(),
            "workdir": tb.workdir,
            "memory_mb": tb.memory_mb,
            "no_huge": tb.no_huge,
        }

    def _connect(self) -> None:
        from dpdktune.runtime.ssh_app import connect

        connect(self.runner, self.key)

    def _reap_stale(self, record: dict[str, Any]) -> bool:
        from dpdktune.runtime.ssh_app import reap_stale

        if record.get("backend") != "ssh" or record.get("dut") != self._dut():
            return False
        self._connect()
        return reap_stale(self.runner, record, self.testbed.command_deadline_s)

    def _build(self) -> Path:
        from dpdktune.codegen import build
        from dpdktune.runtime.ssh_app import remote_build, remote_cpus

        files = build.generate(self._safe_table(), self.out / "app")
        self._connect()
        tb = self.testbed
        self.cpus = remote_cpus(self.runner, tb.command_deadline_s)
        return remote_build(self.runner, tb.workdir, self.key, Path(files["source"]), self.cc, tb.command_deadline_s)

    def _make_app(self, app_path, duration_s: float):
        from dpdktune.runtime.ssh_app import SshApp

        tb = self.testbed
        return SshApp(
            self.runner,
            tb.workdir,
            str(app_path),
            self.out,
            self.workers,
            self.interval,
            duration_s,
            self.cpus,
            tb.memory_mb,
            tb.no_huge,
            tb.command_deadline_s,
        )

    def _app_summary(self) -> dict[str, Any]:
        return {"testbed": self.testbed.name, "dut": self._dut(), "cpus": self.cpus}

    def run(self) -> dict[str, Any]:
        try:
            return super().run()
        finally:
            self.runner.close()
