"""POST /mfa/sms N times on one keep-alive connection, as the development
project (for callgrind counts: docs/PERFORMANCE.md).

    python3 load/issue_n.py PORT N
"""
import http.client, base64, json, random, sys
port=int(sys.argv[1]); n=int(sys.argv[2])
auth='Basic '+base64.b64encode(b'dev-project:dev-token').decode()
c=http.client.HTTPConnection('127.0.0.1',port)
ok=0
for i in range(n):
    body=json.dumps({"to":"+1555%07d"%random.randrange(10**7)})
    c.request('POST','/api/relay/rest/mfa/sms',body,{'Authorization':auth,'Content-Type':'application/json'})
    r=c.getresponse(); r.read(); ok+= r.status==200
print("ok",ok)
