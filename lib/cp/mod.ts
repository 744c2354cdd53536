/**
 * kubectl cp as a library: copy files and trees into and out of a container over any
 * {@linkcode RemoteExec}, with safe extraction, resume, verification and progress.
 *
 * ```ts
 * import { download, planCopy, upload } from "./mod.ts";
 * import type { RemoteExec } from "./mod.ts";
 * // `execIn` gives a RemoteExec for a pod (the CLI builds one from the kubeconfig).
 * async function copy(execIn: (pod: string) => RemoteExec): Promise<void> {
 *   const plan = planCopy("web-0:/var/log/app", "./logs");
 *   const exec = execIn(plan.remote.pod);
 *   if (plan.direction === "download") await download(exec, plan.remote.path, plan.localPath);
 *   else await upload(exec, plan.localPath, plan.remote.path);
 * }
 * ```
 *
 * @module
 */
export {
  type CopyOptions,
  type CopyProgress,
  type CopyResult,
  download,
  type DownloadOptions,
  upload,
} from "./copy.ts";
export type { OutputDestination } from "./destination.ts";
export {
  ExtractError,
  ExtractLimitError,
  FileSpecError,
  LocalWriteError,
  RemoteCommandError,
  RemoteToolMissingError,
  SourceChangedError,
  TarFormatError,
  TarWriteError,
  VerificationError,
} from "./errors.ts";
export { type ExtractOptions, type ExtractResult, extractTar } from "./extract.ts";
export { type CopyPlan, type CopySpec, parseCopySpec, planCopy } from "./file_spec.ts";
export { packLocalPath, type PackOptions } from "./pack.ts";
export { type RemoteExec, RemoteExecError, type RemoteExecStreams } from "./remote_exec.ts";
export { readTar, type TarEntry } from "./tar_reader.ts";
export { createTarStream, type TarWriterEntry, type TarWriterInput } from "./tar_writer.ts";
