/** Types of gen-agent.mjs, for the tests that import it. */
/** The modules in the order the single file defines them. */
export declare const ORDER: readonly string[];
/** The agent as the one file sent to the nodes. */
export declare function agentSource(): string;
/** src/generated/agent.ts as the generator writes it. */
export declare function agentModule(): string;
