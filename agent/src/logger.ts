// Structured JSON logs on stdout (winston). Callers pass metadata objects, never request bodies or secrets.
import winston from 'winston';

export type Logger = winston.Logger;

export function createLogger(level: string, component = 'agent'): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
}
