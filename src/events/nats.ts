export const NatsEventLog = { open: async (u: string): Promise<never> => { throw new Error(u); } };
