import { RpcError } from '../errors';
import { ErrorCodes, type BackendConfig, type GenerationResult } from '../protocol';
import type { RemoteBackend } from './types';

export class ComfyUiBackend implements RemoteBackend {
  constructor(readonly config: BackendConfig) {}
  async listModels(): Promise<string[]> {
    return [];
  }
  async generate(): Promise<GenerationResult> {
    throw new RpcError(ErrorCodes.JobFailed, 'comfyui');
  }
  dispose(): void {}
}
