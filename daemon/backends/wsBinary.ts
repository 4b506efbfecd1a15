// The `ws` WebSocket with binary frames delivered as ArrayBuffers, as browsers do: the ComfyUI SDK reads
// preview frames only in that form (Node's `ws` gives Buffers by default).
import WebSocket from 'ws';

export class ArrayBufferWebSocket extends WebSocket {
  constructor(url: string, opts?: WebSocket.ClientOptions) {
    super(url, opts);
    this.binaryType = 'arraybuffer';
  }
}
