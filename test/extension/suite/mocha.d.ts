// Just the part of mocha's API the runner uses (mocha lives in the e2e tool folder, not in the project).
declare module 'mocha' {
  interface MochaSuite { emit(event: string, ...args: unknown[]): boolean }
  export default class Mocha {
    constructor(options?: { ui?: string; color?: boolean; timeout?: number });
    suite: MochaSuite;
    addFile(file: string): this;
    run(done: (failures: number) => void): unknown;
  }
}
