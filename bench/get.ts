// One GET on loopback, its status and whole body: what the soak's loops send.
import { type Agent, get } from 'node:http'

export interface Answer {
  readonly status: number
  readonly body: string
}

export function request (url: string, agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    get(url, { agent }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    }).on('error', reject)
  })
}
