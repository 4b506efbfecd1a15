import type { ModelSession } from '../../models/sessions';
import { modelError } from '../errors';
import { findSpec, fixedDim, toFloat32 } from './modelTensors';

export const CONTEXT_TOKENS = 77;

/** CLIP text encoder: 77 token ids → hidden states [77, D]. Reads the export's id type and batch shape. */
export class TextEncoder {
  private readonly input: string;
  private readonly idType: 'int32' | 'int64';
  private readonly output: string;
  private readonly fixedBatch: number | undefined;

  constructor(private readonly session: ModelSession) {
    const file = session.path;
    const inp = findSpec(session.inputs, ['input_ids', 'text_input', 'tokens'], file, 'token ids', 'input');
    if (inp.type !== 'int32' && inp.type !== 'int64') throw modelError(file, `"${inp.name}" has element type ${inp.type}`, 'int32 or int64 token ids');
    const len = fixedDim(inp, 1);
    if (len !== undefined && len !== CONTEXT_TOKENS) throw modelError(file, `"${inp.name}" takes ${len} tokens`, `${CONTEXT_TOKENS} tokens`);
    this.input = inp.name;
    this.idType = inp.type;
    this.fixedBatch = fixedDim(inp, 0);
    this.output = findSpec(session.outputs, ['last_hidden_state', 'text_embeddings', 'hidden_states'], file, 'hidden states', 'output').name;
  }

  /** Encode one 77-token sequence; returns [77 × D] float32. */
  async encode(ids: Int32Array): Promise<{ hidden: Float32Array; dim: number }> {
    if (ids.length !== CONTEXT_TOKENS) throw new Error(`text encoder expects ${CONTEXT_TOKENS} ids, got ${ids.length}`);
    const data = this.idType === 'int64' ? BigInt64Array.from(ids, (v) => BigInt(v)) : ids;
    const dims = [this.fixedBatch ?? 1, CONTEXT_TOKENS];
    const out = await this.session.run({ [this.input]: { type: this.idType, data, dims } }, [this.output]);
    const t = out[this.output]!;
    const hidden = toFloat32(t, this.session.path, this.output);
    const dim = t.dims[t.dims.length - 1]!;
    return { hidden: hidden.length === CONTEXT_TOKENS * dim ? hidden : hidden.slice(0, CONTEXT_TOKENS * dim), dim };
  }
}
