/** Types of local-libvirtd.mjs. */
export declare function startLocalLibvirtd(uri: string, tag: string): Promise<number[]>;
export declare function stopLocalLibvirtd(pids: readonly number[]): Promise<void>;
