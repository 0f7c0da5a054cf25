export const KafkaEventLog = { open: async (u: string): Promise<never> => { throw new Error(u); } };
