// Transport types. Those the app sends and receives are generated from the
// Rust DTOs of crates/api by ts-rs into ./generated (do not edit those files:
// run scripts/gen-types.sh after changing a DTO; `cargo test -p fjordsync-api`
// fails while they differ). This file gives them the names the UI uses and
// holds the few types that exist only here.

import type { AppError } from "./generated/AppError";
import type { DiffLineDto } from "./generated/DiffLineDto";
import type { FileRowDto } from "./generated/FileRowDto";
import type { SettingsDto } from "./generated/SettingsDto";
import type { TaskDto } from "./generated/TaskDto";

export type { AppEvent } from "./generated/AppEvent";
export type { AppInfo } from "./generated/AppInfo";
export type { BackupDto as BackupSpec } from "./generated/BackupDto";
export type { CheckDto as CheckResult } from "./generated/CheckDto";
export type { ConflictDto as Conflict } from "./generated/ConflictDto";
export type { KeptAsideDto as KeptAside } from "./generated/KeptAsideDto";
export type { Resolution } from "./generated/Resolution";
export type { VersionDto as Version } from "./generated/VersionDto";
export type { CountersDto as Counters } from "./generated/CountersDto";
export type { DemoSignInDto as DemoSignIn } from "./generated/DemoSignInDto";
export type { DeviceDto as Device } from "./generated/DeviceDto";
export type { EntryDto as Entry } from "./generated/EntryDto";
export type { FileRowDto as FileRow } from "./generated/FileRowDto";
export type { ForgetDto as ForgetResult } from "./generated/ForgetDto";
export type { KeptDto as Kept } from "./generated/KeptDto";
export type { ListingDto as Listing } from "./generated/ListingDto";
export type { MountpointDto as Mountpoint } from "./generated/MountpointDto";
export type { MountAccess } from "./generated/MountAccess";
export type { MountDto as Mount } from "./generated/MountDto";
export type { MountFormDto as MountForm } from "./generated/MountFormDto";
export type { MountLocation } from "./generated/MountLocation";
export type { MountProblem } from "./generated/MountProblem";
export type { MountState } from "./generated/MountState";
export type { MountStatus } from "./generated/MountStatus";
export type { OverviewTaskDto as OverviewTask } from "./generated/OverviewTaskDto";
export type { QuitWhen } from "./generated/QuitWhen";
export type { PreviewDto as Preview } from "./generated/PreviewDto";
export type { ProblemDto as Problem } from "./generated/ProblemDto";
export type { PruneDto as PruneResult } from "./generated/PruneDto";
export type { PurgeDto as Purge } from "./generated/PurgeDto";
export type { QuotaDto as Quota } from "./generated/QuotaDto";
export type { RefusalDto as Refusal } from "./generated/RefusalDto";
export type { RepoSizeDto as RepoSize } from "./generated/RepoSizeDto";
export type { RestoreDto as RestoreResult } from "./generated/RestoreDto";
export type { RetentionDto as Retention } from "./generated/RetentionDto";
export type { RevisionDto as Revision } from "./generated/RevisionDto";
export type { RunDto as Run } from "./generated/RunDto";
export type { Schedule } from "./generated/Schedule";
export type { SecretKind } from "./generated/SecretKind";
export type { ServiceDto as Service } from "./generated/ServiceDto";
export type { SettingsDto as Settings } from "./generated/SettingsDto";
export type { ShareDto as Share } from "./generated/ShareDto";
export type { SignIn } from "./generated/SignIn";
export type { SnapshotDiffDto as SnapshotDiff } from "./generated/SnapshotDiffDto";
export type { SnapshotDto as Snapshot } from "./generated/SnapshotDto";
export type { SnapshotEntryDto as SnapshotEntry } from "./generated/SnapshotEntryDto";
export type { StatusDto as AppStatus } from "./generated/StatusDto";
export type { StepDto as Step } from "./generated/StepDto";
export type { StoppedDto as Stopped } from "./generated/StoppedDto";
export type { StorageDto as Storage } from "./generated/StorageDto";
export type { TaskDto as Task } from "./generated/TaskDto";
export type { TaskProgressDto as TaskProgress } from "./generated/TaskProgressDto";
export type { TrashItemDto as TrashItem } from "./generated/TrashItemDto";
export type { WatchDto as Watch } from "./generated/WatchDto";
export type { WebDavLoginDto as WebDavLogin } from "./generated/WebDavLoginDto";
export type { WizardAccountDto as WizardAccount } from "./generated/WizardAccountDto";

/** One path that differs between two snapshots. */
export type DiffLine = DiffLineDto;
export type TaskKind = TaskDto["kind"];
export type Direction = TaskDto["direction"];
export type Theme = SettingsDto["theme"];
/** A run's file rows by result (also the filter `runFiles` takes). */
export type FileResult = FileRowDto["result"];

/** How `export_run` writes a run (an argument the Rust side parses from its name). */
export type ExportFormat = "csv" | "json";

/** The `{code, message}` error every command rejects with (`AppError` in Rust). */
export class ApiError extends Error implements AppError {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = "ApiError";
  }

  /** Anything thrown by a backend, as an ApiError. */
  static from(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    if (typeof e === "object" && e !== null && "code" in e && "message" in e) {
      return new ApiError(String(e.code), String(e.message));
    }
    return new ApiError("internal", e instanceof Error ? e.message : String(e));
  }
}
