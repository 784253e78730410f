"""A seed-notebook-style client over wss:// with Debian's python3-websockets, trusting only the CA it is given.

usage: wss-client.py URL CA_FILE PROMPT  -> prints one JSON line: {"binary": bool, "text": str, "keys": [...]}
"""
import asyncio
import json
import ssl
import sys

import websockets


async def main(url: str, ca_file: str, prompt: str) -> None:
    ctx = ssl.create_default_context(cafile=ca_file)
    async with websockets.connect(url, ssl=ctx, max_size=None) as ws:
        await ws.send(json.dumps({'setup': {'model': 'models/gemini-3.1-flash-live-preview',
                                            'generation_config': {'response_modalities': ['TEXT']}}}))
        keys, text, binary = [], '', True
        while True:
            raw = await asyncio.wait_for(ws.recv(), timeout=60)
            binary = binary and isinstance(raw, bytes)
            message = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
            keys.extend(message.keys())
            if 'setupComplete' in message:
                await ws.send(json.dumps({'client_content': {'turns': [{'role': 'user', 'parts': [{'text': prompt}]}],
                                                             'turn_complete': True}}))
            content = message.get('serverContent', {})
            for part in content.get('modelTurn', {}).get('parts', []):
                text += part.get('text', '')
            if content.get('turnComplete'):
                break
    print(json.dumps({'binary': binary, 'text': text, 'keys': keys}))


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
