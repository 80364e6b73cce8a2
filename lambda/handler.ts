/** Lambda entry point (contract section 6). Placeholder until the engine lands. */
export const handler = async (_event: unknown): Promise<unknown> => {
  throw new Error('not implemented yet');
};
