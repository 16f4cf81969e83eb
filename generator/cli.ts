export async function main(a: string[]): Promise<number> { console.log("ok", a); return 0; }
