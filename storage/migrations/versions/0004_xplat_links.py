"""xplat links: one project in several groups, one person on several platforms

Chat.notify (what a group receives), ChatMember (who wrote in a group), Member
preferred/last platform and merged_into_id, LinkCode (member link codes, hashed).

Revision ID: 0003_xplat
Revises: 0003_files
Create Date: 2026-12-02 06:26:53.757735
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0003_xplat'
down_revision: str | None = '0003_files'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('linkcode',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('used_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_linkcode_member_id_member')),
    sa.ForeignKeyConstraint(['used_by'], ['member.id'], name=op.f('fk_linkcode_used_by_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linkcode')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_linkcode_code_hash'))
    )
    with op.batch_alter_table('linkcode', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linkcode_member_id'), ['member_id'], unique=False)

    op.create_table('chatmember',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['chat.id'], name=op.f('fk_chatmember_chat_id_chat')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_chatmember_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chatmember')),
    sa.UniqueConstraint('chat_id', 'member_id', name=op.f('uq_chatmember_chat_id_member_id'))
    )
    with op.batch_alter_table('chatmember', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chatmember_member_id'), ['member_id'], unique=False)

    with op.batch_alter_table('chat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('preferred_platform', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('last_platform', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('last_platform')
        batch_op.drop_column('preferred_platform')

    with op.batch_alter_table('chat', schema=None) as batch_op:
        batch_op.drop_column('notify')

    with op.batch_alter_table('chatmember', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chatmember_member_id'))

    op.drop_table('chatmember')
    with op.batch_alter_table('linkcode', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linkcode_member_id'))

    op.drop_table('linkcode')
