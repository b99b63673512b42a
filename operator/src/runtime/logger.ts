// One JSON line per log record (winston), level from GOVC_LOG_LEVEL.
import winston from 'winston';

export function makeLogger(level = process.env.GOVC_LOG_LEVEL || 'info'): winston.Logger {
  return winston.createLogger({
    level,
    format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true }), winston.format.json()),
    defaultMeta: { component: 'govc-operator' },
    transports: [new winston.transports.Console()],
  });
}
